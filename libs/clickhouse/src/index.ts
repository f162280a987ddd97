export { ClickHouse, type Row } from "./ClickHouse.ts"
export { ClickHouseError } from "./ClickHouseError.ts"
export { DataDictionaryDrift, dataDictionary } from "./dataDictionary.ts"
export { currentScoresSelect } from "./migrations/0001_initialSchema.ts"
export {
  capabilitiesOf,
  MigrationChanged,
  type MigrationError,
  type MigrationPlan,
  migrate,
  migrations,
  planMigrations,
  planStatements,
  SchemaNewerThanCode
} from "./migrations/migrate.ts"
export type { Migration, MigrationContext } from "./migrations/migration.ts"
export {
  databaseEngine,
  dropDatabaseStatement,
  type ProjectionCounts,
  projectionCounts,
  projectionTables,
  shadowDatabaseOf,
  swapStatements
} from "./projectionSwap.ts"
export {
  biViews,
  type SchemaObjectDoc,
  schemaMaterializedViews,
  schemaObjectDocs,
  schemaTables
} from "./schemaObjects.ts"
export { nowMsSql, type ScoreFormulaColumns, scoreAtSql, scoreFormulaColumns, tanhSql } from "./scoreAtSql.ts"
export { sqlIdentifier, sqlNumber, sqlQualified, sqlString } from "./sqlLiteral.ts"
