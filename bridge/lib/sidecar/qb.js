"use strict";
// {"op": "qb", "entity": "Post", "args": [{"alias": "post", "chain": [[method, ...args], ...],
//  "via": "repository" | "manager" | "dataSource"}]}: TypeORM's query builder, its methods
// called in the chain's order (the last one a terminal such as getMany). Without an
// entity the builder is the data source's (or manager's) empty one, for select/from.
// Arguments: {"$entity": "Author"} is the entity class, {"$brackets": chain} and
// {"$notBrackets": chain} are Brackets / NotBrackets whose factory applies the chain,
// {"$subquery": chain} is a function applying the chain to the subQuery() it is given
// (select, addSelect, from, joins), {"$qb": chain} a new builder with the chain applied
// (whereExists), {"$subqueryWhere": [prefix, chain]} a condition function returning
// prefix + the chain on qb.subQuery() .getQuery() ("post.id IN " + ...),
// an object holding such a marker deeper down has each value read so; anything else is
// decoded as the other operations' arguments are. getRawAndEntities
// gives [raw, entities].

const { decode } = require("./decode");

function entityClass(ds, name) {
  const meta = ds.entityMetadatas.find((m) => m.name === name || m.targetName === name);
  if (!meta) throw new Error(`no entity named ${name}`);
  return meta.target;
}

const MARKERS = ["$brackets", "$notBrackets", "$subqueryWhere"];

// a plain object holding a marker deeper down (orUpdate's {overwriteCondition: {where:
// {$brackets: ...}}}): each of its values decoded as an argument
function holdsMarker(value) {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(holdsMarker);
  return Object.keys(value).some((k) => MARKERS.includes(k) || holdsMarker(value[k]));
}

function arg(typeorm, ds, value, manager) {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (!keys.some((k) => k.startsWith("$")) && holdsMarker(value)) {
      const out = {};
      for (const k of keys) out[k] = arg(typeorm, ds, value[k], manager);
      return out;
    }
    if (typeof value.$entity === "string") return entityClass(ds, value.$entity);
    if (Array.isArray(value.$subquery)) {
      const chain = value.$subquery;
      return (sq) => apply(typeorm, ds, sq, chain, manager);
    }
    if (Array.isArray(value.$qb)) return apply(typeorm, ds, ds.createQueryBuilder(manager.queryRunner), value.$qb, manager);
    if (Array.isArray(value.$subqueryWhere)) {
      const [prefix, chain] = value.$subqueryWhere;
      return (qb) => prefix + apply(typeorm, ds, qb.subQuery(), chain, manager).getQuery();
    }
    if (Array.isArray(value.$brackets)) {
      const chain = value.$brackets;
      return new typeorm.Brackets((qb) => apply(typeorm, ds, qb, chain, manager));
    }
    if (Array.isArray(value.$notBrackets)) {
      const chain = value.$notBrackets;
      return new typeorm.NotBrackets((qb) => apply(typeorm, ds, qb, chain, manager));
    }
  }
  return decode(typeorm, value);
}

function apply(typeorm, ds, qb, chain, manager) {
  let current = qb;
  for (const [method, ...args] of chain) {
    // what calling a missing method is in JavaScript (an insert builder's where, in a
    // Brackets factory of orUpdate's overwriteCondition)
    if (typeof current[method] !== "function") throw new TypeError(`qb.${method} is not a function`);
    current = current[method](...args.map((a) => arg(typeorm, ds, a, manager)));
  }
  return current;
}

// loadRelationIdAndMap's properties ("post.categoryIds" -> categoryIds) are no columns or
// relations: each entity holding one is told so (a non-enumerable __ormshiftExtras),
// for the encoder to write them beside its columns
function markExtras(value, names, seen = new Set()) {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) markExtras(v, names, seen);
    return;
  }
  const held = names.filter((n) => Object.prototype.hasOwnProperty.call(value, n));
  if (held.length) Object.defineProperty(value, "__ormshiftExtras", { value: held, enumerable: false });
  for (const v of Object.values(value)) markExtras(v, names, seen);
}

// an insert's generated maps keyed as records are (property paths joined with "_"), so
// an embedded's columns compare with ormshift's attributes
function flatMaps(ds, chain, maps) {
  const into = chain.find(([method]) => method === "into");
  const name = into && into[1] && into[1].$entity;
  if (!name || !Array.isArray(maps)) return maps;
  const metadata = ds.getMetadata(entityClass(ds, name));
  return maps.map((map) => {
    const out = {};
    for (const col of metadata.columns) {
      const value = col.getEntityValue(map);
      if (value !== undefined) out[col.propertyPath.split(".").join("_")] = value;
    }
    return out;
  });
}

async function runChain(typeorm, ds, manager, entity, given) {
  // a transaction step arrives as written: {op, entity, alias, chain}
  const spec = given && given.chain ? given : {};
  const via = spec.via || "repository";
  let qb;
  if (!entity) qb = via === "manager" ? manager.createQueryBuilder() : ds.createQueryBuilder(manager.queryRunner);
  else if (via === "manager") qb = manager.createQueryBuilder(entityClass(ds, entity), spec.alias);
  else if (via === "dataSource") qb = ds.createQueryBuilder(entityClass(ds, entity), spec.alias, manager.queryRunner);
  else qb = manager.getRepository(entityClass(ds, entity)).createQueryBuilder(spec.alias);
  const result = await apply(typeorm, ds, qb, spec.chain, manager);
  const extras = spec.chain
    .filter(([method, mapTo]) => method === "loadRelationIdAndMap" && typeof mapTo === "string")
    .map(([, mapTo]) => mapTo.split(".").slice(1).join("."));
  if (extras.length) markExtras(result, extras);
  // {raw, entities} as a pair, so that the entities are encoded as entities
  const terminal = spec.chain[spec.chain.length - 1][0];
  if (terminal === "getRawAndEntities") return [result.raw, result.entities];
  // a write builder's result: InsertResult as {identifiers, generatedMaps}, UpdateResult
  // and DeleteResult as {affected, raw}
  if (terminal === "execute" && result && result.constructor) {
    if (result.constructor.name === "InsertResult") {
      return { identifiers: result.identifiers, generatedMaps: flatMaps(ds, spec.chain, result.generatedMaps) };
    }
    return { affected: result.affected, raw: result.raw };
  }
  return result;
}

module.exports = { runChain };
