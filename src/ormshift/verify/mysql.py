"""A MySQL/MariaDB source: the same segment queries (connection, reflection and the
snapshot are `ormshift.db.mysql`'s, shared with transfer).

Values are rendered as the PostgreSQL side renders them in *portable* mode
(`ormshift.verify.checksum`): integers and trimmed decimals as digits, booleans as 0/1,
timestamps as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, text length-prefixed, the row's
hash as the first 60 bits of the MD5 of its text. Text keys are compared by their bytes
on both sides. JSON, floats and simple-arrays have no common SQL text; tables holding
them are compared row by row in key order instead (`ormshift.verify.streams`). The
queries themselves are `ormshift.verify.dbapi`'s, spelled by `MySQLDialect`.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import pymysql
import pymysql.cursors

from ormshift.verify.checksum import ColumnView
from ormshift.verify.dbapi import Dialect


class MySQLDialect(Dialect):
    """MySQL/MariaDB: ``CONCAT``, ``CAST(... AS BINARY)``, ``CONV`` of the MD5 prefix."""

    name = "mysql"
    param = "%s"
    quote_char = "`"
    text_form = "convert(cast({} as char) using utf8mb4)"
    binary_form = "cast({} as binary)"

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


MYSQL_DIALECT = MySQLDialect()
