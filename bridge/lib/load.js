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

// Compiled files live in a build directory away from the project. Requires made from
// them are resolved as if they were made from the source file they were compiled from:
// packages the way Node finds them from the project (hoisted monorepos, workspaces,
// pnpm), relative files that were not compiled (plain .js/.json beside the sources)
// where they are, and the tsconfig's `paths` aliases as tsc resolved them. What is not
// found that way falls back to NODE_PATH: the bridge's own typeorm and reflect-metadata.
const Module = require("module");

const layout = { projectDir: process.cwd(), rootDir: null, outDir: null, paths: {}, typeormPackage: "typeorm" };

function inside(file, dir) {
  return Boolean(dir) && (file === dir || file.startsWith(dir + path.sep));
}

function sourceOf(file) {
  return path.join(layout.rootDir, path.relative(layout.outDir, file));
}

function outputOf(file) {
  if (!inside(file, layout.rootDir) || layout.rootDir === layout.outDir) return undefined;
  return path.join(layout.outDir, path.relative(layout.rootDir, file)).replace(/\.(c|m)?tsx?$/, ".js");
}

function aliasTargets(request) {
  const out = [];
  for (const [pattern, subs] of Object.entries(layout.paths)) {
    const star = pattern.indexOf("*");
    let matched;
    if (star < 0) {
      if (request === pattern) matched = "";
    } else {
      const head = pattern.slice(0, star);
      const tail = pattern.slice(star + 1);
      if (request.startsWith(head) && request.endsWith(tail) && request.length >= head.length + tail.length) {
        matched = request.slice(head.length, request.length - tail.length);
      }
    }
    if (matched === undefined) continue;
    for (const sub of subs) {
      const target = sub.replace("*", matched);
      const compiled = outputOf(target);
      if (compiled) out.push(compiled);
      out.push(target);
    }
  }
  return out;
}

function tryResolve(original, self, request, parent, isMain, options) {
  try {
    return original.call(self, request, parent, isMain, options);
  } catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND") return undefined;
    throw err;
  }
}

function installResolver() {
  const original = Module._resolveFilename;
  Module._resolveFilename = function resolveAsFromSource(request, parent, isMain, options) {
    const from = parent && parent.filename;
    if (!from || (options && options.paths) || !layout.outDir || !inside(from, layout.outDir) || layout.rootDir === layout.outDir) {
      return original.call(this, request, parent, isMain, options);
    }
    const source = sourceOf(from);
    const relative = request.startsWith("./") || request.startsWith("../");
    if (!relative && !path.isAbsolute(request)) {
      for (const target of aliasTargets(request)) {
        const found = tryResolve(original, this, target, parent, isMain, options);
        if (found) return found;
      }
      if (Module.builtinModules.includes(request) || request.startsWith("node:")) {
        return original.call(this, request, parent, isMain, options);
      }
      const fromProject = tryResolve(original, this, request, parent, isMain, { paths: [path.dirname(source)] });
      if (fromProject) return fromProject;
      return original.call(this, request, parent, isMain, options);
    }
    const compiled = tryResolve(original, this, request, parent, isMain, options);
    if (compiled) return compiled;
    return original.call(this, path.resolve(path.dirname(source), request), parent, isMain, options);
  };
}

// The bridge itself loads typeorm and reflect-metadata as the project would: from the
// project first, then from NODE_PATH.
function projectRequire(name) {
  let resolved;
  try {
    resolved = require.resolve(name, { paths: [layout.rootDir || layout.projectDir, layout.projectDir] });
  } catch {
    resolved = require.resolve(name);
  }
  return require(resolved);
}

// The bridge answers on stdout; what the user's code logs while it loads goes to stderr.
function keepStdoutForAnswers() {
  const util = require("util");
  for (const name of ["log", "info", "debug"]) {
    console[name] = (...items) => process.stderr.write(util.format(...items) + "\n");
  }
}

function configure(args) {
  keepStdoutForAnswers();
  if (args.projectDir) layout.projectDir = path.resolve(args.projectDir);
  if (args.rootDir) layout.rootDir = path.resolve(args.rootDir);
  if (args.outDir) layout.outDir = path.resolve(args.outDir);
  if (args.paths) layout.paths = JSON.parse(args.paths);
  if (args.typeormPackage) layout.typeormPackage = args.typeormPackage;
  installResolver();
}

let configured = false;

function loadReflectMetadata(args) {
  if (!configured) {
    configure(args);
    configured = true;
  }
  projectRequire("reflect-metadata");
}

function loadTypeorm() {
  let typeorm;
  try {
    typeorm = projectRequire(layout.typeormPackage);
  } catch (err) {
    throw new BridgeError("typeorm-missing", `cannot load ${layout.typeormPackage}: ${err.message}`);
  }
  if (typeof typeorm.DataSource !== "function") {
    throw new BridgeError(
      "typeorm-version",
      `${layout.typeormPackage} ${typeormVersion() || ""} has no DataSource: ormshift needs TypeORM 0.3 or newer`,
    );
  }
  return typeorm;
}

function isEntitySchema(typeorm, value) {
  if (value === null || typeof value !== "object") return false;
  if (typeorm.InstanceChecker && typeof typeorm.InstanceChecker.isEntitySchema === "function") {
    return typeorm.InstanceChecker.isEntitySchema(value);
  }
  return typeof typeorm.EntitySchema === "function" && value instanceof typeorm.EntitySchema;
}

function isDataSource(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.buildMetadatas === "function" &&
    typeof value.options === "object"
  );
}

async function findDataSource(mod) {
  const candidates = [mod, mod && mod.default, ...Object.values(mod || {})];
  for (const value of candidates) {
    if (isDataSource(value)) return value;
  }
  // an exported promise of a DataSource (built asynchronously at module load)
  for (const value of candidates) {
    if (value && typeof value.then === "function") {
      try {
        const resolved = await value;
        if (isDataSource(resolved)) return resolved;
      } catch {
        // not ours to report: it is not a DataSource either way
      }
    }
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
async function collectProject(args) {
  if (!configured) loadReflectMetadata(args);
  const typeorm = loadTypeorm();
  const mapping = { projectDir: args.projectDir, rootDir: args.rootDir, outDir: args.outDir };
  if (args.dataSource) {
    const mod = requireModule(args.dataSource, "load-failed");
    const ds = await findDataSource(mod);
    if (!ds) {
      throw new BridgeError(
        "no-data-source",
        `${args.dataSourceLabel || args.dataSource} exports no DataSource instance (nor a promise of one)`,
      );
    }
    const entities = Array.isArray(ds.options.entities)
      ? ds.options.entities.map((e) => remapGlob(e, mapping))
      : Object.values(ds.options.entities || {});
    // subscribers run in the sidecar as in the user's app (string entries are globs
    // of TypeScript sources, as entities' are)
    const subscribers = Array.isArray(ds.options.subscribers)
      ? ds.options.subscribers.map((e) => remapGlob(e, mapping))
      : Object.values(ds.options.subscribers || {});
    return { typeorm, entities, options: { ...ds.options, subscribers } };
  }
  const seen = new Set();
  const entities = [];
  // EntitySchema definitions are exported values, not registered anywhere: take them
  // from the modules' exports, in file order, before the decorated classes
  for (const file of args.entityFiles) {
    const mod = requireModule(file, "load-failed");
    for (const value of [mod, ...Object.values(mod || {})]) {
      if (isEntitySchema(typeorm, value) && !seen.has(value)) {
        seen.add(value);
        entities.push(value);
      }
    }
  }
  const storage = typeorm.getMetadataArgsStorage();
  for (const t of storage.tables) {
    if (typeof t.target === "function" && !seen.has(t.target)) {
      seen.add(t.target);
      entities.push(t.target);
    }
  }
  return { typeorm, entities, options: {} };
}

// Forks that create the driver in initialize() (n8n's @n8n/typeorm) leave it unset until
// a connection is made; building metadata needs one, and no connection: make it as
// initialize() would.
async function createDriver(ds) {
  for (const sub of ["driver/DriverFactory", "dist/driver/DriverFactory"]) {
    let factory;
    try {
      factory = projectRequire(`${layout.typeormPackage}/${sub}`).DriverFactory;
    } catch {
      continue;
    }
    if (factory) return typeof factory.create === "function" ? factory.create(ds) : new factory().create(ds);
  }
  throw new BridgeError("typeorm-version", `${layout.typeormPackage} made no driver and has no DriverFactory to make one`);
}

async function buildDataSource(args, extra) {
  const { typeorm, entities, options } = await collectProject(args);
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
  const ds = new typeorm.DataSource(dsOptions);
  try {
    if (!ds.driver) ds.driver = await createDriver(ds);
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
  const args = { entityFiles: [], skipTables: [] };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === "--data-source") args.dataSource = value;
    else if (key === "--data-source-label") args.dataSourceLabel = value;
    else if (key === "--entity") args.entityFiles.push(value);
    else if (key === "--skip-table") args.skipTables.push(value);
    else if (key === "--project") args.projectDir = value;
    else if (key === "--root-dir") args.rootDir = value;
    else if (key === "--out-dir") args.outDir = value;
    else if (key === "--url") args.url = value;
    else if (key === "--schema") args.schema = value;
    else if (key === "--paths") args.paths = value;
    else if (key === "--typeorm-package") args.typeormPackage = value;
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
  const name = layout.typeormPackage;
  let main;
  try {
    main = require.resolve(name, { paths: [layout.rootDir || layout.projectDir, layout.projectDir] });
  } catch {
    try {
      main = require.resolve(name);
    } catch {
      return undefined;
    }
  }
  // the package.json nearest above the entry point that names the package
  for (let dir = path.dirname(main); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        const data = JSON.parse(fs.readFileSync(pkg, "utf8"));
        if (data.name === name || data.version) return data.version;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

module.exports = { loadReflectMetadata, projectRequire, BridgeError, buildDataSource, readArgs, fail, typeormVersion };
