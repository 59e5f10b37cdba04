// The glue: n8n picks column types from its config when its entities load, and builds its
// DataSource options in a service of its DI container; ask for Postgres, then for those.
process.env.DB_TYPE = "postgresdb";
const { Container } = require("@n8n/di");
const { DbConnectionOptions } = require("@n8n/db");
const { DataSource } = require("@n8n/typeorm");

exports.dataSource = new DataSource(Container.get(DbConnectionOptions).getOptions());
