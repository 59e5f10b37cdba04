"""The real-world applications: each a folder under apps/ holding what a user would have
(a package.json pinning the app's npm packages, its lockfile) and the smallest glue that
points ormshift at the entities (a data-source file or an entities glob)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

APPS_DIR = Path(__file__).resolve().parent / "apps"


@dataclass(frozen=True)
class App:
    name: str
    #: a data-source file of the glue, relative to the app
    data_source: str | None = None
    #: an entities glob, relative to the app, where no data source can be had
    entities: str | None = None
    #: the package the app imports TypeORM as
    typeorm_package: str = "typeorm"
    #: when TypeORM's own synchronize() cannot build the app's schema: what it fails with
    #: (checked on every run, so that a fix upstream shows)
    sync_fails_with: str | None = None
    #: the tables it fails on: made from the models before synchronize() makes the rest
    sync_skips: tuple[str, ...] = ()
    #: differences between the manifest and what create_all made that have no TypeORM
    #: schema to settle them (only with ``sync_skips``), each as ``str(Difference)``
    known_differences: tuple[str, ...] = ()
    #: what ``ormshift migrate`` needs beyond --source and --target (as its own error
    #: message tells a user to pass)
    migrate_args: tuple[str, ...] = ()

    @property
    def source(self) -> Path:
        return APPS_DIR / self.name


APPS = (
    # Vendure (a NestJS app: TypeOrmModule.forRootAsync) builds its DataSource at bootstrap;
    # the glue runs that step (id and money strategies, custom fields) without the server
    App("vendure", data_source="data-source.js"),
    # Medusa 1.x builds its DataSource in its loaders: its models, as shipped, by glob.
    # product_variant_money_amount (and two more) are entities with an id key and junctions
    # of many-to-many relations; synchronize() drops and re-adds their primary key, then
    # drops one that is gone (Medusa creates its schema with migrations, never with it)
    App(
        "medusa",
        entities="node_modules/@medusajs/medusa/dist/models/*.js",
        sync_fails_with='constraint "PK_acc7faece57e3a7c10fbb57dd81" of relation '
        '"product_variant_money_amount" does not exist',
        sync_skips=(
            "product_variant_money_amount",
            "product_sales_channel",
            "publishable_api_key_sales_channel",
        ),
        # address and customer reference each other (and more cycles): their foreign keys
        # are dropped for the copy and added back after it
        migrate_args=("--defer-constraints",),
    ),
    # n8n's entities (@n8n/db) on its TypeORM fork; the glue asks n8n's own DI container
    # for its Postgres DataSource options. ExecutionEntity.id is a string column with
    # @Generated() (increment): synchronize() writes it with no type (n8n's migrations
    # make it serial)
    App(
        "n8n",
        data_source="data-source.js",
        typeorm_package="@n8n/typeorm",
        sync_fails_with='syntax error at or near "NOT"',
        sync_skips=("execution_entity",),
        # the models make that column a plain varchar: there is no increment of a string
        known_differences=("column-generation execution_entity.id: 'increment' != None",),
        # workflow_entity and workflow_history reference each other
        migrate_args=("--defer-constraints",),
    ),
)
