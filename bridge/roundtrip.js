"use strict";
// Writes entities through TypeORM's repositories and reads them back, as JSON; used by
// ormshift's round-trip tests (rows written by TypeORM read through the generated
// models, and the other way round).
//   node roundtrip.js --url postgresql://... (--data-source FILE.js | --entity FILE.js ...)
//        --input REQUEST.json
// REQUEST: {"save": [{"entity": "Post", "rows": [{...}, ...]}, ...],
//           "read": [{"entity": "Post", "where": {"id": {"$in": [1, 2]}}}, ...]}
// Rows to save have TypeORM's own shape (embedded objects nested, relations as
// {"id": ...}); timestamps are ISO strings, bytea {"$bytes": "hex"}; {"$saved": [i, j]}
// stands for the entity saved as row j of save step i (TypeORM ignores explicit values of
// serial primary keys, so a row refers to an earlier one this way). All saves run in one
// transaction, in order; then the reads. Prints one JSON object:
//   {"saved": [[record, ...], ...], "read": [[record, ...], ...]}
// A record maps each column's database name to the value TypeORM holds: Date as
// toISOString() (a UTC instant), Buffer as {"$bytes": "hex"}, interval as
// {"$interval": {...}}, numeric and bigint as the strings TypeORM returns;
// "$entity" names the class TypeORM instantiated (the single-table-inheritance child),
// whose discriminator value stands in the discriminator column when it has no property.
const fs = require("fs");
const { buildDataSource, loadReflectMetadata, readArgs, fail, BridgeError } = require("./lib/load");

const TIMESTAMP_TYPES = new Set([
  "timestamp",
  "timestamptz",
  "timestamp with time zone",
  "timestamp without time zone",
  "datetime",
]);

function isInterval(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.toPostgres === "function" &&
    typeof value.toISOString === "function"
  );
}

function plain(value) {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return { $bytes: value.toString("hex") };
  if (typeof value === "bigint") return value.toString();
  if (isInterval(value)) {
    const fields = ["years", "months", "days", "hours", "minutes", "seconds", "milliseconds"];
    const out = {};
    for (const f of fields) out[f] = value[f] || 0;
    return { $interval: out };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

// JSON value -> what TypeORM expects for the column: Date for timestamps, Buffer for bytea.
function decodeValue(column, value) {
  if (value === null || value === undefined) return value;
  const isTimestamp = column.type === Date || TIMESTAMP_TYPES.has(column.type);
  if (isTimestamp && typeof value === "string") return new Date(value);
  if (value && typeof value === "object" && typeof value.$bytes === "string") {
    return Buffer.from(value.$bytes, "hex");
  }
  return value;
}

function resolveSaved(value, entities) {
  if (Array.isArray(value)) return value.map((v) => resolveSaved(v, entities));
  if (value !== null && typeof value === "object") {
    if (Array.isArray(value.$saved)) return entities[value.$saved[0]][value.$saved[1]];
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveSaved(v, entities);
    return out;
  }
  return value;
}

function decodeRow(metadata, row) {
  for (const column of metadata.columns) {
    if (column.relationMetadata) continue; // {"id": ...} is what TypeORM wants there
    const value = column.getEntityValue(row);
    if (value !== undefined) column.setEntityValue(row, decodeValue(column, value));
  }
  return row;
}

function record(ds, entity) {
  const metadata = ds.getMetadata(entity.constructor);
  const out = { $entity: metadata.name };
  for (const column of metadata.columns) {
    // join columns and the discriminator are "virtual" when no property holds them
    if (column.isVirtual && !column.relationMetadata && !column.isDiscriminator) continue;
    let value = column.getEntityValue(entity);
    if (value === undefined && column.isDiscriminator) {
      // a discriminator with no property: TypeORM chose the class by the stored value
      value = metadata.discriminatorValue;
    }
    if (column.referencedColumn && value !== null && typeof value === "object" && !isInterval(value)) {
      value = column.referencedColumn.getEntityValue(value);
    }
    out[column.databaseName] = plain(value);
  }
  return out;
}

// {"id": {"$in": [1, 2]}} -> {id: In([1, 2])}; other values as given.
function whereOf(typeorm, where) {
  const out = {};
  for (const [key, value] of Object.entries(where)) {
    const isIn = value !== null && typeof value === "object" && Array.isArray(value.$in);
    out[key] = isIn ? typeorm.In(value.$in) : value;
  }
  return out;
}

function metadataOf(ds, name) {
  const metadata = ds.entityMetadatas.find((m) => m.name === name);
  if (!metadata) throw new BridgeError("unknown-entity", `no entity named ${name}`);
  return metadata;
}

async function main() {
  const argv = process.argv.slice(2);
  const args = readArgs(argv);
  const at = argv.indexOf("--input");
  if (at < 0 || at + 1 >= argv.length) throw new BridgeError("usage", "--input FILE is required");
  const request = JSON.parse(fs.readFileSync(argv[at + 1], "utf8"));
  loadReflectMetadata(args);
  const { typeorm, ds } = await buildDataSource(args, { url: args.url, subscribers: [] });
  await ds.initialize();
  try {
    const saved = [];
    const entities = [];
    await ds.transaction(async (manager) => {
      for (const step of request.save || []) {
        const metadata = metadataOf(ds, step.entity);
        const repo = manager.getRepository(metadata.target);
        const out = [];
        const made = [];
        for (const row of step.rows) {
          const entity = repo.create(decodeRow(metadata, resolveSaved(row, entities)));
          const stored = await repo.save(entity);
          made.push(stored);
          out.push(record(ds, stored));
        }
        entities.push(made);
        saved.push(out);
      }
    });
    const read = [];
    for (const step of request.read || []) {
      const metadata = metadataOf(ds, step.entity);
      const order = {};
      for (const column of metadata.primaryColumns) order[column.propertyPath] = "ASC";
      const rows = await ds.getRepository(metadata.target).find({
        where: whereOf(typeorm, step.where || {}),
        order,
        loadRelationIds: true,
        withDeleted: true,
      });
      read.push(rows.map((entity) => record(ds, entity)));
    }
    process.stdout.write(JSON.stringify({ saved, read }) + "\n");
  } finally {
    await ds.destroy();
  }
}

main().catch(fail);
