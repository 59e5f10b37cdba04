"use strict";
// ormshift extractor: prints the manifest (format_version 2) of a compiled TypeORM
// project, built by TypeORM's own metadata builder. Usage (ormshift calls this):
//   node extract.js --project DIR --root-dir SRC --out-dir BUILD
//                   (--data-source FILE.js | --entity FILE.js ...)
const { buildDataSource, loadReflectMetadata, readArgs, fail, typeormVersion } = require("./lib/load");
const { mergeTables } = require("./lib/merge");

const FORMAT_VERSION = 2;
const TABLE_KIND = {
  regular: "regular",
  closure: "regular",
  junction: "junction",
  "closure-junction": "closure",
  "entity-child": "sti-child",
  view: "view",
};
const SPATIAL = new Set(["geometry", "geography"]);
const EXTENSION_TYPES = { citext: "citext", hstore: "hstore", cube: "cube", ltree: "ltree", vector: "vector", halfvec: "vector" };

// TypeORM's normalizeType leaves a few aliases as the user wrote them; the manifest
// spells every type as PostgreSQL's format_type() does.
const PG_SPELLING = {
  int: "integer", int4: "integer", int2: "smallint", int8: "bigint", varchar: "character varying",
  char: "character", float4: "real", float8: "double precision", float: "double precision",
  decimal: "numeric", bool: "boolean", timestamptz: "timestamp with time zone",
  timestamp: "timestamp without time zone", time: "time without time zone",
  timetz: "time with time zone", varbit: "bit varying", "double": "double precision",
};

function compact(obj) {
  // Drop undefined/null/false/empty values so the JSON matches ormshift's defaults.
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

function declaredType(type) {
  if (typeof type === "function") return type.name || "function";
  return String(type);
}

function enumValues(column) {
  return column.enum ? column.enum.map((v) => String(v)) : [];
}

// the values of a numeric TypeScript enum: TypeORM reads a label back as a number when
// parseInt of it is one of them (PostgresDriver.prepareHydratedValue)
function enumNumbers(column) {
  return column.enum ? column.enum.filter((v) => typeof v === "number").map((v) => String(v)) : [];
}

function physicalColumn(tc, metadata, column, ctx) {
  const isEnum = tc.type === "enum" || tc.type === "simple-enum";
  const out = {
    name: tc.name,
    type: isEnum ? "enum" : PG_SPELLING[tc.type] || tc.type,
    nullable: tc.isNullable === true,
    length: tc.length ? Number(tc.length) : undefined,
    precision: tc.precision ?? undefined,
    scale: tc.scale ?? undefined,
    array: tc.isArray === true,
    default: tc.default ?? undefined,
    collation: tc.collation,
    comment: tc.comment || undefined,
  };
  if (tc.isGenerated) {
    if (tc.generationStrategy === "identity") {
      out.generation = "identity";
      out.identity = tc.generatedIdentity ?? "BY DEFAULT";
    } else if (tc.generationStrategy === "uuid") {
      out.generation = "uuid";
      out.default = tc.default ?? ctx.ds.driver.uuidGenerator;
    } else if (tc.generationStrategy === "increment") {
      out.generation = "increment";
    } else if (tc.generationStrategy === "rowid") {
      out.generation = "rowid";
    }
  }
  if (tc.generatedType === "STORED" && tc.asExpression) out.generated_expression = tc.asExpression;
  if (isEnum) {
    out.enum_name = ctx.qr.buildEnumName(ctx.table, tc, false, true);
    out.enum_schema = metadata.schema;
    ctx.addEnum(out.enum_name, metadata.schema, enumValues(column));
  }
  return { ...compact(out), nullable: tc.isNullable === true };
}

// The SQL TypeORM's synchronize() creates a view with: the string, or the query a
// query-builder function builds (no connection is needed to build it).
function viewExpression(metadata, ctx) {
  if (typeof metadata.expression === "string") return metadata.expression.trim();
  if (typeof metadata.expression === "function") {
    try {
      return metadata.expression(ctx.ds).getQuery().trim();
    } catch (err) {
      ctx.warn(metadata.name, null, "view", `its query-builder function failed without a connection (${err.message}); its SQL is not in the manifest`);
    }
  }
  return undefined;
}

// Views in the order synchronize() creates them (TypeORM's ViewUtils.viewMetadataCmp,
// by `dependsOn`), after every table.
function viewOrder(a, b) {
  if (a.dependsOn && (a.dependsOn.has(b.target) || a.dependsOn.has(b.name))) return 1;
  if (b.dependsOn && (b.dependsOn.has(a.target) || b.dependsOn.has(a.name))) return -1;
  return 0;
}

function buildTable(metadata, ctx) {
  const { typeorm, ds } = ctx;
  const table = typeorm.Table.create(metadata, ds.driver);
  ctx.table = table;
  const byName = new Map(metadata.columns.map((c) => [c.databaseName, c]));
  const columns = table.columns.map((tc) => physicalColumn(tc, metadata, byName.get(tc.name), ctx));
  const primary = table.columns.filter((c) => c.isPrimary);
  let primaryKey;
  if (primary.length > 0) {
    primaryKey = {
      name:
        primary[0].primaryKeyConstraintName ??
        ds.namingStrategy.primaryKeyName(table, primary.map((c) => c.name)),
      columns: primary.map((c) => c.name),
    };
  }
  const uniques = table.uniques.map((u) =>
    compact({
      name: u.name ?? ds.namingStrategy.uniqueConstraintName(table, u.columnNames),
      columns: u.columnNames,
      deferrable: u.deferrable,
    }),
  );
  for (const col of table.columns.filter((c) => c.isUnique)) {
    if (!uniques.some((u) => u.columns.length === 1 && u.columns[0] === col.name)) {
      uniques.push({ name: ds.namingStrategy.uniqueConstraintName(table, [col.name]), columns: [col.name] });
    }
  }
  const foreignKeys = metadata.foreignKeys.map((fk) => {
    const ref = fk.referencedEntityMetadata;
    return compact({
      name: fk.name,
      columns: fk.columnNames,
      referenced_table: ref.tableName,
      referenced_columns: fk.referencedColumnNames,
      referenced_schema: ref.schema,
      on_delete: fk.onDelete && fk.onDelete !== "NO ACTION" ? fk.onDelete : undefined,
      on_update: fk.onUpdate && fk.onUpdate !== "NO ACTION" ? fk.onUpdate : undefined,
      deferrable: fk.deferrable,
    });
  });
  const indices = table.indices.map((idx) =>
    compact({
      name: idx.name ?? ds.namingStrategy.indexName(table, idx.columnNames, idx.where),
      columns: idx.columnNames,
      unique: idx.isUnique,
      where: idx.where || undefined,
      spatial: idx.isSpatial,
      concurrent: idx.isConcurrent,
    }),
  );
  const checks = table.checks.map((c) => ({
    name: c.name ?? ds.namingStrategy.checkConstraintName(table, c.expression),
    expression: c.expression,
  }));
  const exclusions = table.exclusions.map((e) => ({
    name: e.name ?? ds.namingStrategy.exclusionConstraintName(table, e.expression),
    expression: e.expression,
  }));
  const isView = metadata.tableType === "view";
  const viewSql = isView ? viewExpression(metadata, ctx) : undefined;
  return compact({
    name: metadata.tableName,
    columns: isView ? columns.map((c) => ({ ...c, nullable: true })) : columns,
    schema: metadata.schema,
    kind: isView ? "view" : undefined,
    primary_key: isView ? undefined : primaryKey,
    foreign_keys: foreignKeys,
    uniques,
    indices,
    checks,
    exclusions,
    view_expression: viewSql,
    comment: metadata.comment,
  });
}

function columnRole(c) {
  if (c.isCreateDate) return "create-date";
  if (c.isUpdateDate) return "update-date";
  if (c.isDeleteDate) return "delete-date";
  if (c.isVersion) return "version";
  if (c.isDiscriminator) return "discriminator";
  if (c.isTreeLevel) return "tree-level";
  if (c.isMaterializedPath) return "tree-path";
  if (c.isNestedSetLeft) return "nested-set-left";
  if (c.isNestedSetRight) return "nested-set-right";
  return undefined;
}

// each transformer's class name ("" for an object literal), in TypeORM's order
function transformerNames(transformer) {
  if (!transformer) return [];
  const list = Array.isArray(transformer) ? transformer : [transformer];
  return list.map((t) => {
    const name = t && t.constructor ? t.constructor.name : "";
    return name === "Object" ? "" : name || "";
  });
}

// what a subscriber class handles: TypeORM's method names it defines
const SUBSCRIBER_EVENTS = [
  "afterLoad", "beforeInsert", "afterInsert", "beforeUpdate", "afterUpdate", "beforeRemove", "afterRemove",
  "beforeSoftRemove", "afterSoftRemove", "beforeRecover", "afterRecover", "beforeQuery", "afterQuery",
  "beforeTransactionStart", "afterTransactionStart", "beforeTransactionCommit", "afterTransactionCommit",
  "beforeTransactionRollback", "afterTransactionRollback",
];

function subscriber(s, ctx) {
  let listenTo;
  if (typeof s.listenTo === "function") {
    const target = s.listenTo();
    if (target && target !== Object) listenTo = typeof target === "function" ? target.name : String(target);
  }
  const name = s.constructor && s.constructor.name ? s.constructor.name : "";
  ctx.warn("*", name, "subscriber", "a subscriber runs TypeScript business logic; port it by hand");
  return compact({ name, listen_to: listenTo, events: SUBSCRIBER_EVENTS.filter((e) => typeof s[e] === "function") });
}

function entityColumn(c, metadata, ctx) {
  if (c.transformer) {
    ctx.warn(metadata.name, c.propertyPath, "transformer",
      "a value transformer runs JavaScript on every read and write; port it by hand");
  }
  const isEnum = c.type === "enum" || c.type === "simple-enum";
  const entry = {
    property_path: c.propertyPath,
    column: c.databaseName,
    declared_type: declaredType(c.type),
    primary: c.isPrimary,
    generation: c.isGenerated ? c.generationStrategy : undefined,
    role: columnRole(c),
    enum_values: isEnum ? enumValues(c) : [],
    enum_numbers: isEnum ? enumNumbers(c) : [],
    enum_name: isEnum ? ctx.qr.buildEnumName(ctx.tableOf(metadata), { name: c.databaseName, enumName: c.enumName }, false, true) : undefined,
    embedded_path: c.embeddedMetadata ? c.embeddedMetadata.propertyPath : undefined,
    nullable: c.isNullable,
    has_transformer: Boolean(c.transformer),
    relation_property: c.relationMetadata ? c.relationMetadata.propertyPath : undefined,
    transformers: transformerNames(c.transformer),
    // default: null makes no DEFAULT, yet the column is among an insert's RETURNING
    default_null: c.default === null,
  };
  const out = compact(entry);
  if (!c.isSelect) out.select = false;
  if (!c.isInsert) out.insert = false;
  if (!c.isUpdate) out.update = false;
  return out;
}

function joinColumns(columns) {
  return columns.map((c) => ({ name: c.databaseName, referenced_column: c.referencedColumn ? c.referencedColumn.databaseName : c.databaseName }));
}

function relation(r) {
  const cascade = [];
  if (r.isCascadeInsert) cascade.push("insert");
  if (r.isCascadeUpdate) cascade.push("update");
  if (r.isCascadeRemove) cascade.push("remove");
  if (r.isCascadeSoftRemove) cascade.push("soft-remove");
  if (r.isCascadeRecover) cascade.push("recover");
  const out = compact({
    property_name: r.propertyPath,
    kind: r.relationType,
    target: r.inverseEntityMetadata.name,
    owning: r.isOwning,
    inverse_property: r.inverseSidePropertyPath || undefined,
    join_columns: joinColumns(r.joinColumns),
    junction_table: r.junctionEntityMetadata ? r.junctionEntityMetadata.tableName : undefined,
    inverse_join_columns: joinColumns(r.inverseJoinColumns),
    foreign_key: r.foreignKeys.length > 0 ? r.foreignKeys[0].name : undefined,
    on_delete: r.onDelete,
    on_update: r.onUpdate,
    deferrable: r.deferrable,
    cascade,
    eager: r.isEager,
    lazy: r.isLazy,
    primary: r.isPrimary,
    orphaned_row_action: r.orphanedRowAction,
    tree_role: r.isTreeParent ? "parent" : r.isTreeChildren ? "children" : undefined,
  });
  out.owning = r.isOwning;
  if (!r.isNullable) out.nullable = false;
  return out;
}

function buildEntity(metadata, ctx) {
  for (const listener of metadata.ownListeners || []) {
    ctx.warn(metadata.name, listener.propertyName, "listener",
      `@${listener.type} hook runs TypeScript business logic; port it by hand`);
  }
  let inheritance;
  if (metadata.inheritancePattern === "STI") {
    // the root is the last entity up the parent chain (inheritanceTree also holds plain
    // base classes, which have no metadata)
    let root = metadata;
    while (root.parentEntityMetadata) root = root.parentEntityMetadata;
    const disc = metadata.discriminatorColumn || root.discriminatorColumn;
    inheritance = compact({
      pattern: "STI",
      discriminator_column: disc ? disc.databaseName : undefined,
      discriminator_value: metadata.discriminatorValue === undefined || metadata.discriminatorValue === null ? undefined : String(metadata.discriminatorValue),
      parent: metadata.parentEntityMetadata ? metadata.parentEntityMetadata.name : undefined,
      children: metadata.childEntityMetadatas.map((m) => m.name),
    });
  }
  let tree;
  if (metadata.treeType) {
    tree = compact({
      kind: metadata.treeType,
      closure_table: metadata.closureJunctionTable ? metadata.closureJunctionTable.tableName : undefined,
      parent_property: metadata.treeParentRelation ? metadata.treeParentRelation.propertyName : undefined,
      children_property: metadata.treeChildrenRelation ? metadata.treeChildrenRelation.propertyName : undefined,
    });
  }
  const orderBy =
    metadata.orderBy && typeof metadata.orderBy === "object"
      ? Object.entries(metadata.orderBy).map(([k, v]) => [k, typeof v === "string" ? v : v.order])
      : [];
  return compact({
    name: metadata.name,
    table: metadata.tableName,
    kind: TABLE_KIND[metadata.tableType] === "regular" ? undefined : TABLE_KIND[metadata.tableType] || undefined,
    schema: metadata.schema,
    columns: metadata.columns.filter((c) => !c.isVirtualProperty).map((c) => entityColumn(c, metadata, ctx)),
    relations: metadata.relations.map(relation),
    embeddeds: metadata.allEmbeddeds.map((e) =>
      compact({
        property_path: e.propertyPath,
        class_name: e.type && e.type.name ? e.type.name : String(e.type),
        prefix: e.prefix || undefined,
        array: e.isArray,
      }),
    ),
    inheritance,
    tree,
    order_by: orderBy,
    // inherited listeners too (TypeORM calls them), in the order it calls them
    listeners: (metadata.ownListeners || []).map((l) => ({ type: l.type, method: l.propertyName })),
  });
}

function extensions(ds) {
  const found = new Set();
  for (const m of ds.entityMetadatas) {
    if (m.generatedColumns.some((c) => c.generationStrategy === "uuid")) found.add(ds.options.uuidExtension ?? "uuid-ossp");
    for (const c of m.columns) {
      if (EXTENSION_TYPES[c.type]) found.add(EXTENSION_TYPES[c.type]);
      if (SPATIAL.has(c.type)) found.add("postgis");
    }
    if (m.exclusions.length > 0) found.add("btree_gist");
  }
  return [...found].sort();
}

async function main() {
  const args = readArgs(process.argv.slice(2));
  loadReflectMetadata(args);
  const { typeorm, ds, sourceType } = await buildDataSource(args, {});
  const warnings = [];
  const enums = new Map();
  const tableCache = new Map();
  const ctx = {
    typeorm,
    ds,
    qr: ds.driver.createQueryRunner("master"),
    warn: (entity, property, feature, message) => warnings.push({ ...compact({ entity, feature, message }), property: property ?? null }),
    addEnum: (name, schema, values) => {
      const key = `${schema || ""}.${name}`;
      if (!enums.has(key)) enums.set(key, compact({ name, values, schema }));
    },
    tableOf: (metadata) => {
      if (!tableCache.has(metadata)) tableCache.set(metadata, typeorm.Table.create(metadata, ds.driver));
      return tableCache.get(metadata);
    },
  };
  if (sourceType && sourceType !== "postgres") {
    ctx.warn("*", null, "dialect", `the project's DataSource is '${sourceType}'; the manifest describes the PostgreSQL schema TypeORM builds for the same entities`);
  }
  const tables = [];
  const views = ds.entityMetadatas.filter((m) => m.tableType === "view").sort(viewOrder);
  for (const metadata of [...ds.entityMetadatas.filter((m) => m.tableType !== "view"), ...views]) {
    if (metadata.tableType === "entity-child") continue;
    tables.push(buildTable(metadata, ctx));
  }
  const merged = mergeTables(tables, (table, message) => ctx.warn(table, null, "shared-table", message));
  const entities = ds.entityMetadatas.map((m) => buildEntity(m, ctx));
  const subscribers = ds.subscribers || [];
  const strategy = ds.namingStrategy && ds.namingStrategy.constructor ? ds.namingStrategy.constructor.name : undefined;
  const manifest = compact({
    format_version: FORMAT_VERSION,
    source: compact({
      kind: "typeorm",
      dialect: "postgres",
      typeorm_version: typeormVersion(),
      naming_strategy: strategy,
    }),
    tables: merged,
    enums: [...enums.values()],
    entities,
    extensions: extensions(ds),
    default_schema: ds.options.schema && ds.options.schema !== "public" ? ds.options.schema : undefined,
    warnings,
    subscribers: subscribers.map((s) => subscriber(s, ctx)),
  });
  process.stdout.write(JSON.stringify(manifest) + "\n");
}

main().catch(fail);
