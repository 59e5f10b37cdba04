"""SQLite (TypeORM's ``sqlite``/``better-sqlite3``) as a source: opening the file
read-only, its catalog as a manifest, and one read transaction for a consistent view.

SQLite has no MD5 and its integers overflow on a sum of 60-bit hashes, so the row-hash
sum is a small aggregate registered on the connection (computed in this process, which
is where SQLite runs anyway); numerics are trimmed like ``trim_scale`` by a registered
function. The queries that use them are spelled by `ormshift.verify.sqlite`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote  # a SQLite file URI, not a database URL

from ormshift.dsn import redact, sqlite_path
from ormshift.errors import ConnectionFailed
from ormshift.manifest import Column, ForeignKey, Manifest, PrimaryKey, Source, Table


def trim_number(value: Any) -> str | None:
    """A number's text as PostgreSQL's ``trim_scale(x)::text`` gives it."""
    if value is None:
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if d == 0:
        return "0"
    return format(d.normalize(), "f")


class _Md5Sum:
    """Exact sum of the first 60 bits of each text's MD5 (as a decimal string)."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, text: Any) -> None:
        if text is not None:
            digest = hashlib.md5(str(text).encode("utf-8"), usedforsecurity=False).hexdigest()
            self.total += int(digest[:15], 16)

    def finalize(self) -> str:
        return str(self.total)


def connect(url: str) -> sqlite3.Connection:
    """A read-only connection to the file, or `ConnectionFailed` saying why not."""
    path = sqlite_path(url)
    where = redact(url)
    if not path or not Path(path).is_file():
        raise ConnectionFailed(
            f"{where}: there is no SQLite database file at {path or '(nothing)'!r}; give "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    try:
        conn = sqlite3.connect(
            f"file:{quote(path)}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        conn.execute("select count(*) from sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise ConnectionFailed(f"cannot open {where} as a SQLite database: {exc}") from exc
    conn.create_function("ormshift_num", 1, trim_number, deterministic=True)
    # finalize returns text: the sum outgrows SQLite's 64-bit integers (typeshed wants int)
    conn.create_aggregate("ormshift_md5sum", 1, cast("Any", _Md5Sum))
    return conn


def _pg_type(declared: str) -> str:
    t = declared.lower()
    if t == "boolean":
        return "boolean"
    if "bigint" in t:
        return "bigint"
    if "int" in t:
        return "integer"
    if t.startswith(("datetime", "timestamp")):
        return "timestamp without time zone"
    if t == "date":
        return "date"
    if t.startswith(("decimal", "numeric")):
        return "numeric"
    if t.startswith(("real", "double", "float")):
        return "double precision"
    if t.startswith("json"):
        return "json"
    if "blob" in t:
        return "bytea"
    return "text"


def reflect(conn: sqlite3.Connection) -> Manifest:
    """Tables, columns (PostgreSQL type names), primary and foreign keys of the file."""
    names = [
        str(r[0])
        for r in conn.execute(
            "select name from sqlite_master where type = 'table' "
            "and name not like 'sqlite\\_%' escape '\\' order by name"
        )
    ]
    tables = []
    for name in names:
        info = conn.execute(
            'select name, type, "notnull", pk from pragma_table_info(?)', [name]
        ).fetchall()
        columns = tuple(Column(str(c), _pg_type(str(t)), not bool(nn)) for c, t, nn, _ in info)
        pk = tuple(str(c) for c, _, _, p in sorted(info, key=lambda r: r[3]) if p)
        fks: dict[int, list[tuple[str, str, str]]] = {}
        for fid, _seq, ref, col, to in conn.execute(
            'select id, seq, "table", "from", "to" from pragma_foreign_key_list(?) '
            "order by id, seq",
            [name],
        ):
            fks.setdefault(int(fid), []).append((str(col), str(ref), str(to)))
        tables.append(
            Table(
                name=name,
                columns=columns,
                primary_key=PrimaryKey("PRIMARY", pk) if pk else None,
                foreign_keys=tuple(
                    ForeignKey(
                        name=f"FK_{name}_{'_'.join(c for c, _, _ in cols)}",
                        columns=tuple(c for c, _, _ in cols),
                        referenced_table=cols[0][1],
                        referenced_columns=tuple(t for _, _, t in cols),
                    )
                    for _, cols in sorted(fks.items())
                ),
            )
        )
    return Manifest(source=Source(kind="database", dialect="sqlite"), tables=tuple(tables))


def snapshot(conn: sqlite3.Connection) -> None:
    """One read transaction for the whole run: every query sees the same file state."""
    conn.execute("begin")
