"""For every corpus set: the manifest TypeORM's metadata builder gives us matches, name for
name, the schema TypeORM's own synchronize() creates in a real PostgreSQL."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import psycopg
import pytest

from ormshift.extract import extract_project, sync_project
from ormshift.extract.database import reflect
from ormshift.manifest import Manifest, dump, load
from ormshift.schema import diff, server_canonical

from ..conftest import CORPUS, CORPUS_SETS, create_schemas, require_extensions

pytestmark = pytest.mark.node

_manifests: dict[str, Manifest] = {}
_VIEW_COLUMN_DETAILS = {"column-type", "column-length", "column-precision", "column-scale"}


def manifest_of(name: str) -> Manifest:
    if name not in _manifests:
        _manifests[name] = extract_project(CORPUS / name)
    return _manifests[name]


def schemas_of(manifest: Manifest) -> list[str]:
    found = {t.schema or manifest.default_schema for t in manifest.tables}
    return sorted(found | {e.schema or manifest.default_schema for e in manifest.enums})


def in_schema(manifest: Manifest, schema: str) -> Manifest:
    """The part of ``manifest`` in ``schema``, told as reflecting ``schema`` tells it
    (a schema is named only where it is another one)."""

    def other(name: str | None) -> str | None:
        name = name or manifest.default_schema
        return None if name == schema else name

    tables = tuple(
        dataclasses.replace(
            t,
            schema=None,
            columns=tuple(
                dataclasses.replace(c, enum_schema=other(c.enum_schema)) if c.enum_name else c
                for c in t.columns
            ),
            foreign_keys=tuple(
                dataclasses.replace(fk, referenced_schema=other(fk.referenced_schema))
                for fk in t.foreign_keys
            ),
        )
        for t in manifest.tables
        if (t.schema or manifest.default_schema) == schema
    )
    enums = tuple(
        dataclasses.replace(e, schema=None)
        for e in manifest.enums
        if (e.schema or manifest.default_schema) == schema
    )
    return dataclasses.replace(manifest, tables=tables, enums=enums, default_schema=schema)


@pytest.mark.parametrize("name", CORPUS_SETS)
def test_manifest_matches_synchronized_database(name: str, fresh_db: str) -> None:
    manifest = manifest_of(name)
    require_extensions(fresh_db, manifest.extensions)
    create_schemas(fresh_db, manifest)  # TypeORM's synchronize() does not
    sync_project(CORPUS / name, fresh_db)
    schemas = schemas_of(manifest)
    if schemas != [manifest.default_schema]:
        for schema in schemas:
            with psycopg.connect(fresh_db, autocommit=True) as conn:
                part = in_schema(manifest, schema)
                found = reflect(conn, schema)
                differences = diff(server_canonical(conn, part), found)
            assert differences == [], f"schema {schema}: " + "\n".join(map(str, differences))
            assert len(found.tables) == len(part.tables) > 0
        return
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        reflected = reflect(conn)
        declared = server_canonical(conn, manifest)
    # TypeORM does not know the types of a view's columns (the query decides them):
    # for views, the names and their order are compared
    views = {t.name for t in manifest.tables if t.kind == "view"}
    differences = [
        d
        for d in diff(declared, reflected)
        if not (d.table in views and d.kind in _VIEW_COLUMN_DETAILS and d.left in ("", None))
    ]
    assert differences == [], "\n".join(str(d) for d in differences)
    # the comparison is not vacuous: every table and constraint is there
    assert len(reflected.tables) == len(manifest.tables) > 0
    assert {t.name for t in reflected.tables if t.kind == "view"} == views


@pytest.mark.parametrize("name", CORPUS_SETS)
def test_manifest_round_trips_exactly(name: str) -> None:
    manifest = manifest_of(name)
    assert load(dump(manifest)) == manifest
    assert dump(load(dump(manifest))) == dump(manifest)


def test_corpus_is_present() -> None:
    assert len(CORPUS_SETS) >= 5, CORPUS_SETS
    assert all((CORPUS / n / "src").is_dir() for n in CORPUS_SETS)
    assert Path(CORPUS / "README.md").is_file()
