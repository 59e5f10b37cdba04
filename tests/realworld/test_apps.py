"""Real TypeORM applications, installed from npm at pinned versions, as they are: extract
(with at most the glue beside each app), generate, ``configure_mappers()``, the models'
``create_all`` in one scratch database and TypeORM's own ``synchronize()`` in another,
compared element by element (tables, columns, keys, constraints, indices, enum types,
sequences): no difference."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pytest
from sqlalchemy.orm import configure_mappers

from ormshift.codegen import render_package
from ormshift.extract import extract_project, sync_project
from ormshift.schema import diff_databases, snapshot_url
from ormshift.schema.compare import Snapshot

from ..conftest import DatabaseFactory, create_schemas, require_extensions
from ..golden.support import imported
from ..integration.test_codegen_parity import create_all
from .apps import APPS, App
from .conftest import FIGURES
from .install import install


def elements(snapshot: Snapshot) -> int:
    """What the comparison looked at: every table, column, key, constraint, index, enum
    type and sequence."""
    count = len(snapshot.manifest.enums) + len(snapshot.sequences)
    for t in snapshot.manifest.tables:
        count += 1 + len(t.columns) + (t.primary_key is not None)
        count += len(t.foreign_keys) + len(t.uniques) + len(t.indices)
        count += len(t.checks) + len(t.exclusions)
    return count


@pytest.mark.parametrize("app", APPS, ids=lambda a: a.name)
def test_app_schema_matches_typeorm(app: App, make_db: DatabaseFactory, tmp_path: Path) -> None:
    started = time.monotonic()
    project = install(app)
    installed = time.monotonic()
    data_source = Path(app.data_source) if app.data_source else None
    manifest = extract_project(
        project,
        data_source=data_source,
        entities=app.entities,
        typeorm_package=app.typeorm_package,
    )
    assert len(manifest.tables) > 20, "not vacuous: a real app has many tables"

    typeorm_db, models_db = make_db("rw_typeorm"), make_db("rw_models")
    require_extensions(typeorm_db, manifest.extensions)
    create_schemas(typeorm_db, manifest)
    sync_project(
        project,
        typeorm_db,
        data_source=data_source,
        entities=app.entities,
        typeorm_package=app.typeorm_package,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            configure_mappers()
            create_all(pkg, models_db)

    schemas = sorted(
        {t.schema or manifest.default_schema for t in manifest.tables}
        | {e.schema or manifest.default_schema for e in manifest.enums}
    )
    compared = 0
    for schema in schemas:
        differences = diff_databases(typeorm_db, models_db, schema)
        assert differences == [], f"{app.name}, schema {schema}: " + "\n".join(
            map(str, differences)
        )
        snapshot = snapshot_url(typeorm_db, schema)
        compared += elements(snapshot)
    done = time.monotonic()
    FIGURES.append(
        f"{app.name}: {len(manifest.tables)} tables, {compared}/{compared} elements identical "
        f"to TypeORM's synchronize; install {installed - started:.1f} s, "
        f"extract to compare {done - installed:.1f} s"
    )
