"use strict";
// Several entity metadatas may share one table: a junction table that is also mapped
// as an entity, or a @JoinTable declared with the same name on both sides. TypeORM's
// synchronize() then builds one table from all of them, metadata after metadata
// (RdbmsSchemaBuilder): the first creates it; the others drop the columns they lack,
// then each adds the columns it has and the table lacks; a column both declare takes the
// last one's definition; indices, checks, exclusions, composite uniques and foreign keys
// are added by name when missing. `mergeTables` replays that on manifest tables, in
// the order of `ds.entityMetadatas`.

function key(t) {
  return `${t.schema || ""}.${t.name}`;
}

function sameColumn(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutColumns(table, dropped) {
  const gone = (cols) => cols.some((c) => dropped.has(c));
  const out = { ...table, columns: table.columns.filter((c) => !dropped.has(c.name)) };
  // PostgreSQL drops the constraints and indices of a dropped column with it
  if (out.primary_key && gone(out.primary_key.columns)) delete out.primary_key;
  for (const list of ["foreign_keys", "uniques", "indices"]) {
    if (out[list]) out[list] = out[list].filter((x) => !gone(x.columns));
  }
  if (out.checks) out.checks = out.checks.filter((c) => ![...dropped].some((d) => c.expression.includes(`"${d}"`)));
  return out;
}

function addNamed(target, source, list) {
  const have = new Set((target[list] || []).map((x) => x.name));
  const extra = (source[list] || []).filter((x) => !have.has(x.name));
  if (extra.length > 0) target[list] = [...(target[list] || []), ...extra];
}

function mergeGroup(group, warn) {
  let table = { ...group[0] };
  // dropRemovedColumns, for every later metadata
  for (const other of group.slice(1)) {
    const names = new Set(other.columns.map((c) => c.name));
    const dropped = new Set(table.columns.map((c) => c.name).filter((n) => !names.has(n)));
    if (dropped.size > 0) table = withoutColumns(table, dropped);
  }
  // addNewColumns, for every metadata in order
  for (const other of group) {
    const names = new Set(table.columns.map((c) => c.name));
    const added = other.columns.filter((c) => !names.has(c.name));
    if (added.length > 0) table.columns = [...table.columns, ...added];
    if (added.some((c) => other.primary_key && other.primary_key.columns.includes(c.name))) {
      warn(table.name, "a primary-key column is added to it after the table was created; its primary key may differ from TypeORM's");
    }
  }
  // updateExistColumns: a column declared by several takes the last one's definition
  table.columns = table.columns.map((c) => {
    let current = c;
    for (const other of group.slice(1)) {
      const mine = other.columns.find((x) => x.name === c.name);
      if (mine && !sameColumn(mine, current)) current = mine;
    }
    return current;
  });
  // createNewIndices ... createForeignKeys, for every metadata in order (the first's
  // too: what dropping a column took with it is created again)
  for (const other of group) {
    for (const list of ["indices", "checks", "exclusions", "uniques", "foreign_keys"]) addNamed(table, other, list);
    if (!table.primary_key && other.primary_key) table.primary_key = other.primary_key;
    if (!table.comment && other.comment) table.comment = other.comment;
  }
  return table;
}

function mergeTables(tables, warn) {
  const groups = new Map();
  for (const t of tables) {
    if (!groups.has(key(t))) groups.set(key(t), []);
    groups.get(key(t)).push(t);
  }
  return [...groups.values()].map((group) => (group.length === 1 ? group[0] : mergeGroup(group, warn)));
}

module.exports = { mergeTables };
