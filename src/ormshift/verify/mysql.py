"""A MySQL/MariaDB source: connect, reflect its tables, and the same segment queries.

Values are rendered as the PostgreSQL side renders them in *portable* mode
(`ormshift.verify.checksum`): integers and trimmed decimals as digits, booleans as 0/1,
timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, text length-prefixed, the row's
hash as the first 60 bits of the MD5 of its text. Text keys are compared by their bytes
on both sides. JSON, floats and simple-arrays have no common SQL text; tables holding
them are compared row by row in key order instead (`ormshift.verify.streams`). The
queries themselves are `ormshift.verify.dbapi`'s, spelled by `MySQLDialect`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import pymysql
import pymysql.cursors

from ormshift import dsn
from ormshift.dsn import check_url, redact
from ormshift.errors import ConnectionFailed
from ormshift.manifest import Column, ForeignKey, Manifest, PrimaryKey, Source, Table
from ormshift.verify.checksum import ColumnView
from ormshift.verify.dbapi import Dialect

_JSON_CHECK = re.compile(r"json_valid\(`(?P<col>(?:[^`]|``)+)`\)", re.I)


def is_mysql_url(url: str) -> bool:
    return dsn.engine_name(url) == dsn.MYSQL


def connect_mysql(url: str) -> pymysql.connections.Connection[Any]:
    """A pymysql connection, or `ConnectionFailed` saying why not (never the password)."""
    check_url(url, (dsn.MYSQL,), "the source URL")  # a bad port or host: one line
    parts = dsn.parts_of(url)
    where = redact(url)
    database = parts.database
    if not database:
        raise ConnectionFailed(f"{where} names no database; add it: mysql://user@host/db")
    try:
        return pymysql.connect(
            host=parts.host or "127.0.0.1",
            port=parts.port or 3306,
            user=parts.user or "root",
            password=parts.password or "",
            database=database,
            charset="utf8mb4",
            connect_timeout=10,
            autocommit=True,
        )
    except pymysql.err.OperationalError as exc:
        code = exc.args[0] if exc.args else 0
        if code == 1045:
            reason = "the server refused the user name or password; check them"
        elif code == 1049:
            reason = f"the database {database!r} does not exist; create it or fix the URL"
        elif code in (2002, 2003, 2005):
            reason = "no server answers there; check the host and port"
        else:
            reason = redact(str(exc.args[-1]) if exc.args else exc.__class__.__name__)
        raise ConnectionFailed(f"cannot connect to {where}: {reason}") from exc


def _pg_type(data_type: str, column_type: str) -> str:
    if data_type == "tinyint" and column_type.startswith("tinyint(1)"):
        return "boolean"
    if data_type == "bigint" or (data_type == "int" and "unsigned" in column_type):
        return "bigint"
    return {
        "tinyint": "integer",
        "smallint": "integer",
        "mediumint": "integer",
        "int": "integer",
        "decimal": "numeric",
        "float": "real",
        "double": "double precision",
        "char": "character varying",
        "varchar": "character varying",
        "tinytext": "text",
        "text": "text",
        "mediumtext": "text",
        "longtext": "text",
        "enum": "text",
        "set": "text",
        "datetime": "timestamp without time zone",
        "timestamp": "timestamp with time zone",
        "date": "date",
        "time": "time without time zone",
        "json": "json",
    }.get(data_type, data_type)


def reflect_mysql(conn: pymysql.connections.Connection[Any]) -> Manifest:
    """Tables, columns (PostgreSQL type names), primary and foreign keys of the database."""
    with conn.cursor() as cur:
        cur.execute("select database()")
        row = cur.fetchone()
        db = str(row[0]) if row else ""
        cur.execute(
            "select table_name from information_schema.tables "
            "where table_schema = %s and table_type = 'BASE TABLE' order by table_name",
            [db],
        )
        names = [str(r[0]) for r in cur.fetchall()]
        json_cols: set[tuple[str, str]] = set()
        cur.execute(
            "select table_name, check_clause from information_schema.check_constraints "
            "where constraint_schema = %s",
            [db],
        )
        for table, clause in cur.fetchall():
            for m in _JSON_CHECK.finditer(str(clause)):
                json_cols.add((str(table), m["col"].replace("``", "`")))
        cur.execute(
            "select table_name, column_name, data_type, column_type, is_nullable, "
            "numeric_precision, numeric_scale, extra from information_schema.columns "
            "where table_schema = %s order by table_name, ordinal_position",
            [db],
        )
        columns: dict[str, list[Column]] = defaultdict(list)
        for table, name, dtype, ctype, nullable, precision, scale, extra in cur.fetchall():
            pg = _pg_type(str(dtype).lower(), str(ctype).lower())
            if (table, name) in json_cols:
                pg = "json"
            columns[str(table)].append(
                Column(
                    name=str(name),
                    type=pg,
                    nullable=nullable == "YES",
                    precision=int(precision) if pg == "numeric" and precision else None,
                    scale=int(scale) if pg == "numeric" and scale is not None else None,
                    generation="increment" if "auto_increment" in str(extra) else None,
                )
            )
        cur.execute(
            "select table_name, constraint_name, column_name, referenced_table_name, "
            "referenced_column_name from information_schema.key_column_usage "
            "where table_schema = %s order by table_name, constraint_name, ordinal_position",
            [db],
        )
        pks: dict[str, list[str]] = defaultdict(list)
        fks: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
        for table, constraint, col, ref_table, ref_col in cur.fetchall():
            if constraint == "PRIMARY":
                pks[str(table)].append(str(col))
            elif ref_table is not None:
                fks[(str(table), str(constraint))].append((str(col), str(ref_table), str(ref_col)))
    tables = []
    for name in names:
        foreign = tuple(
            ForeignKey(
                name=constraint,
                columns=tuple(c for c, _, _ in cols),
                referenced_table=cols[0][1],
                referenced_columns=tuple(r for _, _, r in cols),
            )
            for (table, constraint), cols in sorted(fks.items())
            if table == name
        )
        tables.append(
            Table(
                name=name,
                columns=tuple(columns[name]),
                primary_key=PrimaryKey("PRIMARY", tuple(pks[name])) if pks[name] else None,
                foreign_keys=foreign,
            )
        )
    return Manifest(source=Source(kind="database"), tables=tuple(tables), default_schema=db)


class MySQLDialect(Dialect):
    """MySQL/MariaDB: ``CONCAT``, ``CAST(... AS BINARY)``, ``CONV`` of the MD5 prefix."""

    name = "mysql"
    param = "%s"

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def text(self, expr: str) -> str:
        return f"convert(cast({expr} as char) using utf8mb4)"

    def binary(self, expr: str) -> str:
        return f"cast({expr} as binary)"

    def length(self, expr: str) -> str:
        return f"length({expr})"

    def concat(self, exprs: Sequence[str]) -> str:
        return "concat(" + ", ".join(exprs) + ")"

    def canonical(self, view: ColumnView) -> str:
        x = self.quote(view.name)
        if view.kind == "timestamp":
            return f"date_format({x}, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')"
        if view.kind == "number" and view.column.type == "numeric":
            c = f"cast({x} as char)"
            trimmed = f"trim(trailing '.' from trim(trailing '0' from {c}))"
            return f"if(locate('.', {c}) > 0, {trimmed}, {c})"
        return self.text(x)

    def hash_sum(self, row_text: str) -> str:
        md5 = f"md5(convert({row_text} using utf8mb4))"
        return f"coalesce(sum(cast(conv(substr({md5}, 1, 15), 16, 10) as unsigned)), 0)"

    def stream(self, conn: Any) -> AbstractContextManager[Any]:
        cursor: AbstractContextManager[Any] = conn.cursor(pymysql.cursors.SSCursor)
        return cursor


MYSQL = MySQLDialect()


def begin_snapshot(conn: pymysql.connections.Connection[Any]) -> None:
    """UTC session, one consistent read-only snapshot for the whole run."""
    with conn.cursor() as cur:
        cur.execute("set time_zone = '+00:00'")
        cur.execute("set session transaction isolation level repeatable read")
        cur.execute("start transaction with consistent snapshot, read only")
