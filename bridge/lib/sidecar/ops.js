"use strict";
// One operation {op, entity, args} through TypeORM's Repository (or EntityManager).
// Inside a transaction's steps: {"op": "transaction", ...} is a nested transaction
// (TypeORM makes it a savepoint), {"op": "throw"} throws ScenarioAbort (the
// transaction rolls back), and a step with "catch": true has its error caught and
// returned as {"$error": {...}} so that the transaction goes on.

const { decode } = require("./decode");

const FIND = new Set([
  "find",
  "findBy",
  "findOne",
  "findOneBy",
  "findOneOrFail",
  "findOneByOrFail",
  "findAndCount",
  "findAndCountBy",
  "count",
  "countBy",
  "exists",
  "existsBy",
  "sum",
  "average",
  "minimum",
  "maximum",
]);

class ScenarioAbort extends Error {
  constructor(message) {
    super(message || "scenario step throws");
    this.name = "ScenarioAbort";
  }
}

function entityClass(ds, name) {
  const meta = ds.entityMetadatas.find((m) => m.name === name || m.targetName === name);
  if (!meta) throw new Error(`no entity named ${name}`);
  return meta.target;
}

// An error leaving a transaction's steps carries where it was thrown: `$step`, the index
// of the step in each enclosing transaction, outermost first (an error the commit or
// rollback throws has none).
async function steps(typeorm, ds, manager, list, encodeStep) {
  const out = [];
  for (const [index, step] of list.entries()) {
    if (step.catch) {
      try {
        out.push(encodeStep(await run(typeorm, ds, manager, step)));
      } catch (err) {
        out.push({ $error: require("./encode").encodeError(err) });
      }
    } else {
      try {
        out.push(encodeStep(await run(typeorm, ds, manager, step)));
      } catch (err) {
        if (err !== null && typeof err === "object") err.$step = [index, ...(err.$step || [])];
        throw err;
      }
    }
  }
  return out;
}

async function run(typeorm, ds, manager, message, encodeStep = (x) => x) {
  const { op } = message;
  if (op === "throw") throw new ScenarioAbort(message.message);
  if (op === "qb") return require("./qb").runChain(typeorm, ds, manager, message.entity, message.args ? message.args[0] : message);
  const args = decode(typeorm, message.args || []);
  if (op === "query") return manager.query(args[0], args[1]);
  if (op === "transaction") {
    const list = message.args[0];
    const options = message.args[1] || {};
    const body = (m) => steps(typeorm, ds, m, list, encodeStep);
    // a transaction inside a transaction: the enclosing manager's, i.e. a savepoint
    const owner = manager.queryRunner && manager.queryRunner.isTransactionActive ? manager : ds;
    return options.isolation ? owner.transaction(options.isolation, body) : owner.transaction(body);
  }
  if (op === "tree") return tree(manager.getTreeRepository(entityClass(ds, message.entity)), args);
  const repo = manager.getRepository(entityClass(ds, message.entity));
  if (FIND.has(op)) return repo[op](...args);
  switch (op) {
    case "save":
    case "remove":
    case "softRemove":
    case "recover": {
      const value = Array.isArray(args[0]) ? args[0].map((v) => repo.create(v)) : repo.create(args[0]);
      return repo[op](value);
    }
    case "insert":
    case "update":
    case "upsert":
    case "delete":
    case "softDelete":
    case "restore":
    case "increment":
    case "decrement":
      return repo[op](...args);
    default:
      throw new Error(`unknown operation ${op}`);
  }
}

// {op: "tree", entity, args: [call, ...its arguments]}: a TreeRepository call; an entity
// argument is made by repo.create, a create*QueryBuilder call's builder is run (getMany).
async function tree(repo, args) {
  const [call, ...rest] = args;
  switch (call) {
    case "findTrees":
    case "findRoots":
      return repo[call](rest[0]);
    case "findDescendants":
    case "findDescendantsTree":
    case "findAncestors":
    case "findAncestorsTree":
      return repo[call](repo.create(rest[0]), rest[1]);
    case "countDescendants":
    case "countAncestors":
      return repo[call](repo.create(rest[0]));
    case "createDescendantsQueryBuilder":
    case "createAncestorsQueryBuilder":
      return repo[call](rest[0], rest[1], repo.create(rest[2])).getMany();
    default:
      throw new Error(`unknown tree call ${call}`);
  }
}

// What TypeORM calls each entity's properties, so that the harness can tell a key
// TypeORM never has (a join column behind its relation) from one it just did not return.
function describe(ds) {
  const out = {};
  for (const meta of ds.entityMetadatas) {
    const properties = [];
    const joinColumns = [];
    for (const col of meta.columns) {
      if (col.relationMetadata && !col.isVirtualProperty && col.propertyName === col.relationMetadata.propertyName) {
        joinColumns.push(col.databaseName);
        continue;
      }
      // a tree's own columns (nsleft, nsright, mpath) are no property of any entity:
      // an entity holding one differs
      if (col.isNestedSetLeft || col.isNestedSetRight || col.isMaterializedPath) continue;
      if (col.isVirtual) {
        joinColumns.push(col.databaseName);
        continue;
      }
      properties.push(col.propertyPath.split(".").join("_"));
    }
    for (const rel of meta.relations) properties.push(rel.propertyPath.split(".").join("_"));
    out[meta.name] = { table: meta.tableName, properties, joinColumns };
  }
  return out;
}

module.exports = { run, describe, ScenarioAbort };
