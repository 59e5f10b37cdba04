"""Two live databases compared: everything `reflect` reads, plus sequences.

This is what ``ormshift schema diff`` runs: reflect one schema of each database,
then list every difference (tables, columns, constraints, indices, enum types,
extensions, sequences). An empty list means the schemas are the same, name for name.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

import psycopg

from ormshift.db import catalog
from ormshift.dsn import connect, redact
from ormshift.errors import OrmshiftError
from ormshift.extract.database import reflect
from ormshift.manifest import Manifest
from ormshift.schema.diff import Difference, diff
from ormshift.schema.sequences import Sequence, diff_sequences, reflect_sequences


class SchemaNotFound(OrmshiftError):
    """The schema to compare does not exist in one of the databases."""


@dataclass(frozen=True)
class Snapshot:
    """The physical schema of one database, as far as the parity oracle looks."""

    manifest: Manifest
    sequences: tuple[Sequence, ...]


def snapshot(conn: psycopg.Connection, schema: str = "public") -> Snapshot:
    return Snapshot(reflect(conn, schema), reflect_sequences(conn, schema))


def compare(left: Snapshot, right: Snapshot) -> list[Difference]:
    """Every difference between two snapshots; empty when they are the same."""
    return diff(left.manifest, right.manifest) + diff_sequences(left.sequences, right.sequences)


def snapshot_url(url: str, schema: str = "public", flag: str = "--schema") -> Snapshot:
    """Connect to ``url`` (raising `ConnectionFailed` with the password redacted) and read
    it; ``flag`` is the option that named ``schema``, for the error when it is missing."""
    with connect(url) as conn:
        if not catalog.schema_exists(conn, schema):
            raise SchemaNotFound(
                f"{redact(url)} has no schema {schema!r}; pass {flag} with one it has"
            )
        return snapshot(conn, schema)


class TableNotFound(OrmshiftError):
    """A table to compare that neither database has."""


def diff_databases(
    left_url: str,
    right_url: str,
    schema: str = "public",
    tables: Collection[str] = (),
    target_schema: str | None = None,
) -> list[Difference]:
    """Every difference between ``schema`` of the first database and ``target_schema``
    (default: ``schema``) of the second; with ``tables``, only the differences of those
    tables (each must be in one of the two)."""
    left = snapshot_url(left_url, schema)
    if target_schema is None or target_schema == schema:
        right = snapshot_url(right_url, schema)
    else:
        right = snapshot_url(right_url, target_schema, "--target-schema")
    found = compare(left, right)
    if not tables:
        return found
    known = {t.name for t in (*left.manifest.tables, *right.manifest.tables)}
    missing = sorted(set(tables) - known)
    if missing:
        some = ", ".join(sorted(known)[:8]) + (
            f" and {len(known) - 8} more" if len(known) > 8 else ""
        )
        where = (
            f"schema {schema!r}"
            if target_schema in (None, schema)
            else f"schema {schema!r} (source) or {target_schema!r} (target)"
        )
        raise TableNotFound(
            f"--table: {where} of neither database has table "
            f"{', '.join(map(repr, missing))}; they have {some or 'no tables'}"
        )
    wanted = set(tables)
    return [d for d in found if d.table in wanted]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def jsonable(difference: Difference) -> dict[str, Any]:
    """``difference`` as plain JSON values (constraints become objects)."""
    return {
        "kind": difference.kind,
        "table": difference.table,
        "item": difference.item,
        "left": _plain(difference.left),
        "right": _plain(difference.right),
    }
