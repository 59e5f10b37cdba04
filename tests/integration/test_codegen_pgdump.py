"""For every corpus set, ``pg_dump --schema-only`` of the database TypeORM's
``synchronize`` made and of the one the generated models' ``create_all`` made are the
same statements, once comments and ordering are taken out:

* ``--`` comment lines (they name the database and object OIDs' order) are dropped;
* ``SET ...`` and ``SELECT pg_catalog.set_config(...)`` lines (session settings) too;
* ``\\restrict`` / ``\\unrestrict`` lines: psql meta-commands pg_dump (15.14 and later)
  writes with a random key on every run;
* whitespace is collapsed and the statements are sorted (pg_dump's order follows OIDs,
  i.e. the order of creation, which differs between the two tools).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine

from ormshift.codegen import render_package
from ormshift.dsn import sqlalchemy_url
from ormshift.manifest import Table
from ormshift.schema import Snapshot, snapshot_url

from ..conftest import CORPUS_SETS, ROOT, DatabaseFactory, create_schemas, require_extensions
from ..golden.support import golden_manifest, imported
from .test_codegen_alembic import typeorm_sync

pytestmark = pytest.mark.node


def _major(version_output: str) -> int:
    """``pg_dump (PostgreSQL) 15.20 (Debian ...)`` -> 15."""
    found = re.search(r"\)\s*(\d+)", version_output)
    return int(found.group(1)) if found else 0


def pg_dump(url: str) -> str:
    """A pg_dump at least as new as the server (pg_dump refuses newer servers): the one
    on PATH, ``$ORMSHIFT_PG_DUMP``, or the one the embedded ``pgserver`` ships."""
    with psycopg.connect(url) as conn:
        server = conn.info.server_version // 10000
    candidates = [os.environ.get("ORMSHIFT_PG_DUMP"), shutil.which("pg_dump"), "/usr/bin/pg_dump"]
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        candidates.append(str(Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            out = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, check=False
            )
            if out.returncode == 0 and _major(out.stdout) >= server:
                return candidate
    pytest.fail(f"no pg_dump for PostgreSQL {server}: install its client or set ORMSHIFT_PG_DUMP")


def schema_statements(url: str) -> list[str]:
    """The schema of ``url`` as pg_dump writes it, normalised as the module says."""
    proc = subprocess.run(
        [pg_dump(url), "--schema-only", url],
        capture_output=True,
        text=True,
        check=True,
    )
    kept = [
        line
        for line in proc.stdout.splitlines()
        if not line.startswith(("--", "SET ", "\\restrict", "\\unrestrict"))
        and "pg_catalog.set_config(" not in line
    ]
    statements: list[str] = []
    current: list[str] = []
    for line in kept:
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append(" ".join(" ".join(current).split()))
            current = []
    assert not " ".join(current).strip(), f"unterminated statement in the dump: {current}"
    return sorted(statements)


def _constraints(table: Table) -> list[object]:
    pk = [table.primary_key] if table.primary_key else []
    return [*pk, *table.foreign_keys, *table.uniques, *table.checks, *table.exclusions]


def parity_row(name: str, typeorm: Snapshot, models: Snapshot, statements: tuple[int, int]) -> str:
    """The docs/parity.md row of corpus set ``name``: per kind of element, how many TypeORM
    made (compared) and how many of those the models made identically (matched)."""
    theirs = {t.name: t for t in models.manifest.tables}
    counts: dict[str, list[int]] = {
        k: [0, 0] for k in ("tables", "columns", "constraints", "indexes", "enums", "sequences")
    }

    def count(kind: str, matched: bool) -> None:
        counts[kind][0] += 1
        counts[kind][1] += int(matched)

    for table in typeorm.manifest.tables:
        other = theirs.get(table.name)
        count("tables", other is not None and other == table)
        for col in table.columns:
            count("columns", other is not None and col in other.columns)
        for con in _constraints(table):
            count("constraints", other is not None and con in _constraints(other))
        for idx in table.indices:
            count("indexes", other is not None and idx in other.indices)
    for enum in typeorm.manifest.enums:
        count("enums", enum in models.manifest.enums)
    for seq in typeorm.sequences:
        count("sequences", seq in models.sequences)
    cells = [f"{m}/{c}" for c, m in counts.values()]
    return "| " + " | ".join([f"`{name}`", *cells, f"{statements[1]}/{statements[0]}"]) + " |"


@pytest.mark.parametrize("name", CORPUS_SETS)
def test_pg_dump_schema_identical(name: str, make_db: DatabaseFactory, tmp_path: Path) -> None:
    manifest = golden_manifest(name)
    typeorm_db, models_db = make_db("typeorm"), make_db("models")
    require_extensions(typeorm_db, manifest.extensions)
    create_schemas(typeorm_db, manifest)  # TypeORM's synchronize() does not
    typeorm_sync(name, typeorm_db)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            engine = create_engine(sqlalchemy_url(models_db))
            try:
                pkg.Base.metadata.create_all(engine)
            finally:
                engine.dispose()

    synced, created = schema_statements(typeorm_db), schema_statements(models_db)
    only_typeorm = [s for s in synced if s not in created]
    only_models = [s for s in created if s not in synced]
    assert (only_typeorm, only_models) == ([], []), (
        "pg_dump differs:\n  TypeORM only: "
        + "\n  TypeORM only: ".join(only_typeorm)
        + "\n  models only: "
        + "\n  models only: ".join(only_models)
    )
    assert synced == created
    # not vacuous: every table is in the dump, with its constraints
    bookkeeping = "CREATE TABLE public.typeorm_metadata "
    creates = [s for s in synced if s.startswith("CREATE TABLE ") and bookkeeping not in s]
    assert len(creates) == len([t for t in manifest.tables if t.kind == "table"])
    assert any(" PRIMARY KEY " in s for s in synced)

    # the parity table in docs/parity.md is this comparison's result
    matched = sum(1 for s in synced if s in created)
    row = parity_row(
        name, snapshot_url(typeorm_db), snapshot_url(models_db), (len(synced), matched)
    )
    docs = (ROOT / "docs" / "parity.md").read_text("utf-8")
    assert row in docs.splitlines(), f"docs/parity.md: the parity table's row is now\n{row}"
