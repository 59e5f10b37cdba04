"""A SQLite source's side of the segment queries of `ormshift.verify.dbapi`.

TypeORM stores datetimes as ``YYYY-MM-DD HH:MM:SS.SSS`` text and booleans as 0/1, which
`SQLiteDialect.canonical` renders as the PostgreSQL side does; numbers go through the
``ormshift_num`` function and the row-hash sum through the ``ormshift_md5sum`` aggregate
that `ormshift.db.sqlite.connect` registers on the connection.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, closing
from typing import Any

from ormshift.verify.checksum import ColumnView
from ormshift.verify.dbapi import Dialect


class SQLiteDialect(Dialect):
    name = "sqlite"
    param = "?"
    binary_form = "{} collate binary"
    length_form = "length(cast({} as blob))"

    def canonical(self, view: ColumnView) -> str:
        x = self.quote(view.name)
        if view.kind == "timestamp":
            return f"strftime('%Y-%m-%d %H:%M:%f', {x}) || '000'"
        if view.kind == "number":
            return f"ormshift_num({x})"
        return self.text(x)

    def hash_sum(self, row_text: str) -> str:
        return f"ormshift_md5sum({row_text})"

    def stream(self, conn: Any) -> AbstractContextManager[Any]:
        return closing(conn.cursor())


SQLITE_DIALECT = SQLiteDialect()
