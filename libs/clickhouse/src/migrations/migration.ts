import { sqlIdentifier, sqlQualified, sqlString } from "../sqlLiteral.ts"

/** What a migration may depend on besides its own text: where it goes and what the server can do. */
export interface MigrationContext {
  readonly database: string
  /** Table COMMENTs (ALTER TABLE … MODIFY COMMENT): ClickHouse 21.9 and later, not 18.16. */
  readonly tableComments: boolean
}

/**
 * One versioned step of the schema. Its statements must be idempotent (IF
 * NOT EXISTS, or absorbed by a ReplacingMergeTree key), so that a step
 * interrupted half-way is simply run again; once released, a migration's
 * text never changes (its checksum is recorded) and changes come as new
 * versions.
 */
export interface Migration {
  readonly version: number
  readonly name: string
  readonly statements: (context: MigrationContext) => ReadonlyArray<string>
}

/** `db`.`name` for the migration's database. */
export const qualifiedIn =
  (context: MigrationContext) =>
  (name: string): string =>
    sqlQualified(context.database, name)

/** A table comment where the server keeps them; nothing on 18.16 (the docs are the source there). */
export const tableCommentStatements = (
  context: MigrationContext,
  comments: ReadonlyArray<readonly [table: string, comment: string]>
): ReadonlyArray<string> =>
  context.tableComments
    ? comments.map(
        ([table, comment]) => `ALTER TABLE ${qualifiedIn(context)(table)} MODIFY COMMENT ${sqlString(comment)}`
      )
    : []

/** `name Type COMMENT '…'` */
export const column = (name: string, type: string, comment: string): string =>
  `${sqlIdentifier(name)} ${type} COMMENT ${sqlString(comment)}`
