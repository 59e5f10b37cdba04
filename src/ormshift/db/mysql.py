"""MariaDB/MySQL as a source, for transfer and verify alike: its URL, opening a
connection (and the one wording of why that failed), and its catalog SQL.

Transfer reads through SQLAlchemy Core (`ormshift.transfer.mysql`), verify through
pymysql itself (`ormshift.verify.mysql`); both take the database from the URL, word a
failed connection and read the catalog here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pymysql

from ormshift import dsn
from ormshift.dsn import check_url, redact
from ormshift.errors import ConnectionFailed
from ormshift.manifest import Column, ForeignKey, Manifest, PrimaryKey, Source, Table

_JSON_CHECK = re.compile(r"json_valid\(`(?P<col>(?:[^`]|``)+)`\)", re.I)

#: table -> (the server's row estimate, bytes of data), for the connection's database
TABLE_SIZES = (
    "select table_name, coalesce(table_rows, 0), coalesce(data_length, 0)"
    " from information_schema.tables where table_schema = database()"
)


def is_mysql_url(url: str) -> bool:
    return dsn.engine_name(url) == dsn.MYSQL


def database(url: str) -> str:
    """The database ``url`` names, after checking it is a MySQL URL that names one."""
    check_url(url, (dsn.MYSQL,), "the source URL")  # a bad port or host: one line
    name = dsn.parts_of(url).database
    if not name:
        raise ConnectionFailed(
            f"{redact(url)} names no database; give it as the path (mysql://user@host/db)"
        )
    return name


def connection_failed(url: str, exc: BaseException) -> ConnectionFailed:
    """The one line for a connection to ``url`` that failed with ``exc`` (pymysql's
    error, or a wrapper of it with ``orig``): what to check, never the password."""
    orig = getattr(exc, "orig", None) or exc
    args = getattr(orig, "args", ())
    code = args[0] if args and isinstance(args[0], int) else 0
    if code == 1045:
        reason = "the server refused the user name or password (Access denied); check them"
    elif code == 1049:
        reason = (
            f"the database {dsn.parts_of(url).database!r} does not exist; create it or fix the URL"
        )
    elif code in (2002, 2003, 2005):
        reason = "no server answers there; check the host and port"
    else:
        reason = redact(str(args[-1]) if args else type(orig).__name__)
    return ConnectionFailed(f"cannot connect to {redact(url)}: {reason}")


def connect(url: str) -> pymysql.connections.Connection[Any]:
    """A pymysql connection (utf8mb4, autocommit), or `ConnectionFailed` saying why not."""
    name = database(url)
    parts = dsn.parts_of(url)
    try:
        return pymysql.connect(
            host=parts.host or "127.0.0.1",
            port=parts.port or 3306,
            user=parts.user or "root",
            password=parts.password or "",
            database=name,
            charset="utf8mb4",
            connect_timeout=10,
            autocommit=True,
        )
    except pymysql.err.OperationalError as exc:
        raise connection_failed(url, exc) from exc


def snapshot(conn: pymysql.connections.Connection[Any]) -> None:
    """UTC session, one consistent read-only snapshot for the whole run."""
    with conn.cursor() as cur:
        cur.execute("set time_zone = '+00:00'")
        cur.execute("set session transaction isolation level repeatable read")
        cur.execute("start transaction with consistent snapshot, read only")


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


def reflect(conn: pymysql.connections.Connection[Any]) -> Manifest:
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
