"use strict";
// TypeORM results -> JSON records keyed as ormshift's models name attributes:
// columns by property path joined with "_", loaded relations nested, dates as ISO.

function plain(value) {
  if (value instanceof Date) return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (Buffer.isBuffer(value)) return { $bytes: value.toString("hex") };
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

function entityRecord(ds, entity, seen) {
  if (entity === null || entity === undefined) return entity ?? null;
  let metadata;
  try {
    metadata = ds.getMetadata(entity.constructor);
  } catch {
    return plain(entity);
  }
  if (seen.has(entity)) return undefined;
  seen = new Set(seen).add(entity);
  const out = {};
  for (const col of metadata.columns) {
    if (col.isVirtual) continue;
    // a foreign key column that is a property of its own (`warehouseCode` beside
    // `fulfilledFrom`): the property's value, not the one getEntityValue derives from
    // the loaded relation (a find whose select leaves it out never sets it)
    const own =
      col.relationMetadata &&
      !col.embeddedMetadata &&
      col.propertyName !== col.relationMetadata.propertyName;
    const value = own ? entity[col.propertyName] : col.getEntityValue(entity);
    if (value === undefined) continue;
    out[col.propertyPath.split(".").join("_")] = plain(value);
  }
  // a query builder's loadRelationIdAndMap properties (qb.js marks them)
  for (const name of entity.__ormshiftExtras || []) out[name] = plain(entity[name]);
  // relations by property path (those inside embedded objects too: "address_country")
  for (const rel of metadata.relations) {
    const key = rel.propertyPath.split(".").join("_");
    const value = rel.getEntityValue(entity);
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      out[key] = value.map((v) => entityRecord(ds, v, seen)).filter((v) => v !== undefined);
    } else {
      const rec = entityRecord(ds, value, seen);
      if (rec !== undefined) out[key] = rec;
    }
  }
  return out;
}

function encode(ds, value) {
  const seen = new Set();
  if (Array.isArray(value)) return value.map((v) => encode(ds, v));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    try {
      ds.getMetadata(value.constructor);
      return entityRecord(ds, value, seen);
    } catch {
      return plain(value);
    }
  }
  return plain(value);
}

function encodeError(err) {
  const driver = err && err.driverError;
  return {
    name: (err && err.constructor && err.constructor.name) || "Error",
    message: (err && err.message) || String(err),
    code: (driver && driver.code) || (err && err.code) || null,
    table: (driver && driver.table) || null,
    constraint: (driver && driver.constraint) || null,
    step: (err && err.$step) || null,
  };
}

module.exports = { encode, encodeError };
