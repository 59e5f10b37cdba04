"use strict";
// Creates the schema of a compiled TypeORM project in a database with TypeORM's own
// synchronize(). Used by ormshift's tests and demo.
//   node sync.js --url postgresql://... (--data-source FILE.js | --entity FILE.js ...)
//                [--skip-table NAME ...]
const { buildDataSource, loadReflectMetadata, readArgs, fail } = require("./lib/load");

async function main() {
  const args = readArgs(process.argv.slice(2));
  loadReflectMetadata(args);
  // the app's subscribers would hear the schema being made: they are not loaded
  const { ds } = await buildDataSource(args, { url: args.url, subscribers: [] });
  await ds.initialize();
  try {
    // tables TypeORM cannot create itself, made beforehand by the caller: left alone
    for (const metadata of ds.entityMetadatas) {
      if (args.skipTables.includes(metadata.tableName)) metadata.synchronize = false;
    }
    await ds.synchronize();
  } finally {
    await ds.destroy();
  }
}

main().catch(fail);
