"""PostgreSQL catalog reads shared by transfer and verify: one query per question.

Each function answers for a whole schema in one round trip; callers pick their tables
from the answer. (Migrating the rest of the package's catalog SQL here is issue 16's
work in progress; new catalog questions go here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

__all__ = ["OwnedSequence", "owned_sequences"]

#: the sequence each serial (pg_depend deptype 'a') or identity ('i') column owns: what
#: pg_get_serial_sequence(table, column) names, for every column of a schema at once
_OWNED = """
select c.relname, a.attname, sn.nspname, s.relname, q.seqincrement,
       quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
from pg_depend d
join pg_class s on s.oid = d.objid and s.relkind = 'S'
join pg_namespace sn on sn.oid = s.relnamespace
join pg_sequence q on q.seqrelid = s.oid
join pg_class c on c.oid = d.refobjid
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum = d.refobjsubid
where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
  and d.deptype in ('a', 'i') and n.nspname = %s
order by c.relname, a.attname
"""


@dataclass(frozen=True)
class OwnedSequence:
    table: str
    column: str
    schema: str  # the sequence's own schema
    name: str
    increment: int
    qualified: str  # as pg_get_serial_sequence writes it: quoted only where needed

    def identifier(self) -> sql.Composable:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))


def owned_sequences(conn: psycopg.Connection, schema: str) -> list[OwnedSequence]:
    """Every sequence owned by a column of a table in ``schema``, by table and column."""
    return [
        OwnedSequence(str(r[0]), str(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]))
        for r in conn.execute(_OWNED, [schema]).fetchall()
    ]
