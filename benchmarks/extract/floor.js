"use strict";
// The floor: TypeORM alone loading the compiled entities and building its metadata,
// with nothing serialised. Usage: node floor.js FILE.js ...
require("reflect-metadata");
const typeorm = require("typeorm");

async function main() {
  const t0 = process.hrtime.bigint();
  for (const f of process.argv.slice(2)) require(f);
  const entities = typeorm.getMetadataArgsStorage().tables.map((t) => t.target);
  const ds = new typeorm.DataSource({ type: "postgres", entities });
  await ds.buildMetadatas();
  const t1 = process.hrtime.bigint();
  process.stdout.write(JSON.stringify({ entities: ds.entityMetadatas.length, inner_s: Number(t1 - t0) / 1e9 }) + "\n");
}
main();
