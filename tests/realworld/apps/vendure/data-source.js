// The glue: Vendure builds its DataSource options at bootstrap; preBootstrapConfig is that
// step (entity id and money strategies, custom fields) without starting the server.
const { preBootstrapConfig, defaultConfig } = require("@vendure/core");
const { DataSource } = require("typeorm");

exports.dataSource = preBootstrapConfig({
  ...defaultConfig,
  dbConnectionOptions: { type: "postgres" },
  logger: { error() {}, warn() {}, info() {}, verbose() {}, debug() {}, setDefaultContext() {} },
}).then((config) => new DataSource(config.dbConnectionOptions));
