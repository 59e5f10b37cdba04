"""The issue's must-show, for every corpus set: TypeORM ``synchronize`` into database A,
the generated models' ``metadata.create_all`` into database B, and ``ormshift schema
diff A B`` reports nothing (tables, columns in order, types, defaults, every constraint
and index by name, enum types, extensions, sequences)."""

from __future__ import annotations

import warnings
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import configure_mappers
from typer.testing import CliRunner

from ormshift.cli.main import app
from ormshift.codegen import render_package
from ormshift.dsn import sqlalchemy_url
from ormshift.extract import extract_project, sync_project
from ormshift.schema import diff_databases, snapshot_url

from ..conftest import CORPUS, CORPUS_SETS, DatabaseFactory, create_schemas, require_extensions
from ..golden.support import golden_manifest, imported

pytestmark = pytest.mark.node


def create_all(package_module: object, url: str) -> None:
    engine = create_engine(sqlalchemy_url(url))
    try:
        package_module.Base.metadata.create_all(engine)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def view_definitions(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select schemaname || '.' || viewname, definition from pg_views "
            "where schemaname not in ('pg_catalog', 'information_schema')"
        ).fetchall()
    return dict(rows)


def bookkeeping_rows(url: str) -> list[tuple[object, ...]]:
    """typeorm_metadata's rows (the database's own name left out: each names itself)."""
    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass('public.typeorm_metadata')").fetchone() == (None,):
            return []
        return conn.execute(
            'select type, schema, "table", name, value from typeorm_metadata order by 1, 2, 3, 4'
        ).fetchall()


@pytest.mark.parametrize("name", CORPUS_SETS)
def test_create_all_matches_typeorm_synchronize(
    name: str, make_db: DatabaseFactory, tmp_path: Path
) -> None:
    typeorm_db, models_db = make_db("typeorm"), make_db("models")
    manifest = extract_project(CORPUS / name)
    assert manifest == golden_manifest(name), (
        f"tests/golden/{name}/manifest.json is stale: refresh it with `ormshift extract` "
        "and the golden sources with ORMSHIFT_REGEN_GOLDEN=1"
    )
    require_extensions(typeorm_db, manifest.extensions)
    create_schemas(typeorm_db, manifest)  # TypeORM's synchronize() does not
    sync_project(CORPUS / name, typeorm_db)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            configure_mappers()
            create_all(pkg, models_db)

    schemas = sorted(
        {t.schema or manifest.default_schema for t in manifest.tables}
        | {e.schema or manifest.default_schema for e in manifest.enums}
    )
    for schema in schemas:
        differences = diff_databases(typeorm_db, models_db, schema)
        assert differences == [], f"schema {schema}: " + "\n".join(map(str, differences))
    # views: the same definition, as PostgreSQL prints it back; and TypeORM's record of
    # them in its typeorm_metadata table
    assert view_definitions(models_db) == view_definitions(typeorm_db)
    assert bookkeeping_rows(models_db) == bookkeeping_rows(typeorm_db)

    result = CliRunner().invoke(
        app, ["schema", "diff", "--source", typeorm_db, "--target", models_db]
    )
    assert result.exit_code == 0, result.output

    # not vacuous: everything TypeORM made is there, serials and identities included
    snapshots = [snapshot_url(typeorm_db, schema) for schema in schemas]
    assert sum(len(s.manifest.tables) for s in snapshots) == len(manifest.tables) > 0
    enums = {e.name for s in snapshots for e in s.manifest.enums}
    assert enums == {e.name for e in manifest.enums}
    assert set(snapshots[0].manifest.extensions) >= set(manifest.extensions)
    serials = [c for t in manifest.tables for c in t.columns if c.generation == "increment"]
    identities = [c for t in manifest.tables for c in t.columns if c.identity]
    assert sum(len(s.sequences) for s in snapshots) == len(serials) + len(identities)
