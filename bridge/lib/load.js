"use strict";
// Loads a user's compiled TypeORM project and builds TypeORM's own metadata for it.
// No database connection is made: DataSource.buildMetadatas() needs none.

const path = require("path");
const fs = require("fs");

class BridgeError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// Resolve a package the way the compiled entities do (from the build directory, then
// NODE_PATH, which ormshift sets to the project's node_modules before the bridge's), so
// that this script and the entities share one TypeORM: the project's when it has one.
let resolveFrom = process.cwd();

function projectRequire(name) {
  return require(require.resolve(name, { paths: [resolveFrom] }));
}

function loadReflectMetadata(args) {
  if (args.outDir) resolveFrom = args.outDir;
  projectRequire("reflect-metadata");
}

function loadTypeorm() {
  try {
    return projectRequire("typeorm");
  } catch (err) {
    throw new BridgeError("typeorm-missing", `cannot load typeorm: ${err.message}`);
  }
}

function isDataSource(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.buildMetadatas === "function" &&
    typeof value.options === "object"
  );
}

function findDataSource(mod) {
  const candidates = [mod, mod && mod.default, ...Object.values(mod || {})];
  for (const value of candidates) {
    if (isDataSource(value)) return value;
  }
  return undefined;
}

function requireModule(file, kind) {
  try {
    return require(file);
  } catch (err) {
    if (err && err.name === "ColumnTypeUndefinedError") throw new BridgeError(err.name, err.message);
    const where = err && err.stack ? err.stack.split("\n").slice(0, 2).join(" ") : String(err);
    throw new BridgeError(kind, `loading ${file} failed: ${where}`);
  }
}

// A string entry of `entities` in the user's DataSource points at TypeScript sources;
// after compilation the same files are JavaScript under outDir.
function remapGlob(entry, mapping) {
  if (typeof entry !== "string") return entry;
  let glob = path.isAbsolute(entry) ? entry : path.resolve(mapping.projectDir, entry);
  if (glob.startsWith(mapping.rootDir + path.sep)) {
    glob = path.join(mapping.outDir, path.relative(mapping.rootDir, glob));
  }
  return glob.replace(/\.ts\b/g, ".js").replace(/\{ts,js\}|\{js,ts\}/g, "js");
}

// Returns {entities, options} where options carries the user's naming strategy etc.
function collectProject(args) {
  if (args.outDir) resolveFrom = args.outDir;
  const typeorm = loadTypeorm();
  const mapping = { projectDir: args.projectDir, rootDir: args.rootDir, outDir: args.outDir };
  if (args.dataSource) {
    const mod = requireModule(args.dataSource, "load-failed");
    const ds = findDataSource(mod);
    if (!ds) {
      throw new BridgeError(
        "no-data-source",
        `${args.dataSourceLabel || args.dataSource} exports no DataSource instance`,
      );
    }
    const entities = Array.isArray(ds.options.entities)
      ? ds.options.entities.map((e) => remapGlob(e, mapping))
      : Object.values(ds.options.entities || {});
    return { typeorm, entities, options: ds.options };
  }
  for (const file of args.entityFiles) requireModule(file, "load-failed");
  const storage = typeorm.getMetadataArgsStorage();
  const seen = new Set();
  const entities = [];
  for (const t of storage.tables) {
    if (typeof t.target === "function" && !seen.has(t.target)) {
      seen.add(t.target);
      entities.push(t.target);
    }
  }
  return { typeorm, entities, options: {} };
}

async function buildDataSource(args, extra) {
  const { typeorm, entities, options } = collectProject(args);
  const dsOptions = {
    ...options,
    ...extra,
    type: "postgres",
    entities,
    synchronize: false,
    migrationsRun: false,
    logging: false,
  };
  delete dsOptions.migrations;
  delete dsOptions.subscribers;
  const ds = new typeorm.DataSource(dsOptions);
  try {
    await ds.buildMetadatas();
  } catch (err) {
    throw new BridgeError(err && err.name ? err.name : "metadata", (err && err.message) || String(err));
  }
  if (ds.entityMetadatas.length === 0) {
    throw new BridgeError("no-entities", "no entity classes were found");
  }
  return { typeorm, ds, sourceType: options.type };
}

function readArgs(argv) {
  const args = { entityFiles: [] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === "--data-source") args.dataSource = value;
    else if (key === "--data-source-label") args.dataSourceLabel = value;
    else if (key === "--entity") args.entityFiles.push(value);
    else if (key === "--project") args.projectDir = value;
    else if (key === "--root-dir") args.rootDir = value;
    else if (key === "--out-dir") args.outDir = value;
    else if (key === "--url") args.url = value;
    else if (key === "--schema") args.schema = value;
    else continue;
    i++;
  }
  return args;
}

function fail(err) {
  const kind = err instanceof BridgeError ? err.kind : (err && err.name) || "error";
  const message = (err && err.message) || String(err);
  process.stderr.write(JSON.stringify({ error: { kind, message } }) + "\n");
  process.exitCode = 3;
}

function typeormVersion() {
  try {
    const main = require.resolve("typeorm", { paths: [resolveFrom] });
    const pkg = path.join(path.dirname(main), "package.json");
    return JSON.parse(fs.readFileSync(pkg, "utf8")).version;
  } catch {
    return undefined;
  }
}

module.exports = { loadReflectMetadata, projectRequire, BridgeError, buildDataSource, readArgs, fail, typeormVersion };
