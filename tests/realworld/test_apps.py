"""Real TypeORM applications, installed from npm at pinned versions, as they are: extract
(with at most the glue beside each app), generate, ``configure_mappers()``, the models'
``create_all`` in one scratch database and TypeORM's own ``synchronize()`` in another,
compared element by element (tables, columns, keys, constraints, indices, enum types,
sequences): no difference.

Where TypeORM's synchronize() cannot create some table at all (`App.sync_fails_with`), the
test checks that it still fails so; those tables (`App.sync_skips`) are then made from the
models first (their foreign keys after), synchronize() makes everything else, and the
comparison with TypeORM covers everything else; the models' whole schema is also compared
with the manifest (TypeORM's metadata, as the corpus parity tests do).

Then the data (`transfer.py`): TypeORM's database is seeded with generated rows, migrated
into the models' database with ``ormshift migrate`` and checked with ``ormshift verify``."""

from __future__ import annotations

import dataclasses
import time
import warnings
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import MetaData, Table, create_engine
from sqlalchemy.orm import configure_mappers
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, ExecutableDDLElement

from ormshift.codegen import render_package
from ormshift.dsn import sqlalchemy_url
from ormshift.errors import ExtractError
from ormshift.extract import extract_project, sync_project
from ormshift.extract.database import reflect
from ormshift.manifest import Manifest
from ormshift.schema import diff, diff_databases, server_canonical, snapshot_url
from ormshift.schema.compare import Snapshot

from ..conftest import DatabaseFactory, create_schemas, require_extensions
from ..golden.support import imported
from ..integration.test_codegen_parity import create_all
from ..integration.test_corpus_parity import in_schema
from .apps import APPS, App
from .conftest import FIGURES
from .install import install
from .transfer import seed_migrate_verify

#: seed rows tried per table (rows a constraint refuses are left out)
ROWS_PER_TABLE = 200


def elements(snapshot: Snapshot, tables: set[str] | None = None) -> int:
    """What the comparison looked at: every table, column, key, constraint, index, enum
    type and sequence (of ``tables`` only, when given: then no enums or sequences)."""
    count = 0 if tables is not None else len(snapshot.manifest.enums) + len(snapshot.sequences)
    for t in snapshot.manifest.tables:
        if tables is not None and t.name not in tables:
            continue
        count += 1 + len(t.columns) + (t.primary_key is not None)
        count += len(t.foreign_keys) + len(t.uniques) + len(t.indices)
        count += len(t.checks) + len(t.exclusions)
    return count


def schemas_of(manifest: Manifest) -> list[str]:
    return sorted(
        {t.schema or manifest.default_schema for t in manifest.tables}
        | {e.schema or manifest.default_schema for e in manifest.enums}
    )


def sync(app: App, project: Path, url: str, skip: tuple[str, ...] = ()) -> None:
    sync_project(
        project,
        url,
        data_source=Path(app.data_source) if app.data_source else None,
        entities=app.entities,
        typeorm_package=app.typeorm_package,
        skip_tables=skip,
    )


def sync_still_fails(app: App, project: Path, manifest: Manifest, url: str) -> None:
    create_schemas(url, manifest)
    with pytest.raises(ExtractError) as failed:
        sync(app, project, url)
    assert app.sync_fails_with is not None and app.sync_fails_with in str(failed.value), (
        f"{app.name}: TypeORM's synchronize() no longer fails as recorded: {failed.value}"
    )


def run_ddl(url: str, statements: list[ExecutableDDLElement]) -> None:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(statement)
    finally:
        engine.dispose()


def skipped_tables(metadata: MetaData, names: tuple[str, ...]) -> list[Table]:
    tables = [t for t in metadata.tables.values() if t.name in names]
    assert sorted(t.name for t in tables) == sorted(names)
    return tables


def without_pk_uniques(manifest: Manifest) -> Manifest:
    """``manifest`` less the unique constraints that repeat their table's primary key:
    PostgreSQL's CREATE TABLE drops those, for TypeORM's synchronize and create_all alike."""
    tables = tuple(
        dataclasses.replace(
            t,
            uniques=tuple(
                u for u in t.uniques if t.primary_key is None or u.columns != t.primary_key.columns
            ),
        )
        for t in manifest.tables
    )
    return dataclasses.replace(manifest, tables=tables)


def compare_with_manifest(app: App, manifest: Manifest, models_db: str) -> None:
    """What create_all made, against the manifest: the known differences and no other."""
    assert schemas_of(manifest) == [manifest.default_schema]
    declared = without_pk_uniques(in_schema(manifest, manifest.default_schema))
    with psycopg.connect(models_db, autocommit=True) as conn:
        reflected = reflect(conn)
        differences = diff(server_canonical(conn, declared), reflected)
    assert sorted(map(str, differences)) == sorted(app.known_differences), f"{app.name}: " + (
        "\n".join(map(str, differences))
    )
    assert len(reflected.tables) == len(manifest.tables)


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_app_schema_matches_typeorm(app: App, make_db: DatabaseFactory, tmp_path: Path) -> None:
    started = time.monotonic()
    project = install(app)
    installed = time.monotonic()
    manifest = extract_project(
        project,
        data_source=Path(app.data_source) if app.data_source else None,
        entities=app.entities,
        typeorm_package=app.typeorm_package,
    )
    assert len(manifest.tables) > 20, "not vacuous: a real app has many tables"

    typeorm_db, models_db = make_db("rw_typeorm"), make_db("rw_models")
    require_extensions(typeorm_db, manifest.extensions)
    create_schemas(models_db, manifest)
    create_schemas(typeorm_db, manifest)
    if app.sync_fails_with is not None:
        sync_still_fails(app, project, manifest, make_db("rw_plain"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            configure_mappers()
            create_all(pkg, models_db)
            skipped = skipped_tables(pkg.Base.metadata, app.sync_skips)
            run_ddl(
                typeorm_db,
                [CreateTable(t, include_foreign_key_constraints=[]) for t in skipped]
                + [CreateIndex(i) for t in skipped for i in t.indexes],
            )
            sync(app, project, typeorm_db, app.sync_skips)
            run_ddl(
                typeorm_db,
                [AddConstraint(fk) for t in skipped for fk in t.foreign_key_constraints],
            )

    compared = 0
    for schema in schemas_of(manifest):
        differences = diff_databases(typeorm_db, models_db, schema)
        assert differences == [], f"{app.name}, schema {schema}: " + "\n".join(
            map(str, differences)
        )
        snapshot = snapshot_url(typeorm_db, schema)
        compared += elements(snapshot) - elements(snapshot, set(app.sync_skips))
    figures = f"{compared}/{compared} elements identical to TypeORM's synchronize"
    if app.sync_skips:
        compare_with_manifest(app, manifest, models_db)
        own = elements(snapshot_url(models_db), set(app.sync_skips))
        figures += (
            f", {own} more of {', '.join(app.sync_skips)} (which synchronize cannot create) "
            f"against the manifest"
        )
        if app.known_differences:
            figures += f" less {len(app.known_differences)} known difference(s)"
    done = time.monotonic()
    moved = seed_migrate_verify(app, manifest, typeorm_db, models_db, ROWS_PER_TABLE, tmp_path)
    transferred = time.monotonic()
    FIGURES.append(
        f"{app.name}: {len(manifest.tables)} tables, {figures}; install "
        f"{installed - started:.1f} s, extract to compare {done - installed:.1f} s"
    )
    FIGURES.append(
        f"{app.name}: {moved.seeded} rows seeded in {moved.seeded_tables}/{moved.tables} "
        f"tables, {moved.migrated} migrated, verify: {moved.verified} tables identical; "
        f"seed, migrate and verify "
        f"{transferred - done:.1f} s"
    )
