"use strict";
// One operation {op, entity, args} through TypeORM's Repository (or EntityManager).

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
]);

function entityClass(ds, name) {
  const meta = ds.entityMetadatas.find((m) => m.name === name || m.targetName === name);
  if (!meta) throw new Error(`no entity named ${name}`);
  return meta.target;
}

async function run(typeorm, ds, manager, message) {
  const { op } = message;
  const args = decode(typeorm, message.args || []);
  if (op === "query") return manager.query(args[0], args[1]);
  if (op === "transaction") {
    const steps = message.args[0];
    const options = message.args[1] || {};
    const body = async (m) => {
      const out = [];
      for (const step of steps) out.push(await run(typeorm, ds, m, step));
      return out;
    };
    return options.isolation ? ds.transaction(options.isolation, body) : ds.transaction(body);
  }
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

module.exports = { run };
