/**
 * Ids that are never reused (migration 5): a table's next id is above both its largest id
 * and the largest id ever removed from it (id_floor, kept by triggers).
 */
export type FloorTable = 'accounts' | 'pairs' | 'sync_conflicts';

/** A scalar SQL expression for the next id of `table`, to insert as its id. */
export function nextIdSql(table: FloorTable): string {
  return `(SELECT max(COALESCE((SELECT MAX(id) FROM ${table}), 0), COALESCE((SELECT last FROM id_floor WHERE name = '${table}'), 0)) + 1)`;
}
