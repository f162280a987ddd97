export { ClickHouse, type Row } from "./ClickHouse.ts"
export { ClickHouseError } from "./ClickHouseError.ts"
export { sqlIdentifier, sqlNumber, sqlQualified, sqlString } from "./sqlLiteral.ts"
