"""Each serial or identity column's sequence must hand out values above the column's max."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from ormshift.verify.model import SequenceCheck

_OWNED = """
select c.relname, a.attname, sn.nspname, s.relname, q.seqincrement
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


def check_sequences(
    conn: psycopg.Connection, schema: str, tables: Iterable[str]
) -> list[SequenceCheck]:
    """One check per sequence-owning column of ``tables`` (ascending sequences only)."""
    wanted = set(tables)
    out: list[SequenceCheck] = []
    for table, column, seq_schema, seq, increment in conn.execute(_OWNED, [schema]).fetchall():
        if table not in wanted or increment <= 0:
            continue
        ident = sql.SQL("{}.{}").format(sql.Identifier(seq_schema), sql.Identifier(seq))
        state = conn.execute(sql.SQL("select last_value, is_called from {}").format(ident))
        row = state.fetchone()
        assert row is not None
        last, called = int(row[0]), bool(row[1])
        top = conn.execute(
            sql.SQL("select max({})::text from {}.{}").format(
                sql.Identifier(column), sql.Identifier(schema), sql.Identifier(table)
            )
        ).fetchone()
        highest = int(top[0]) if top and top[0] is not None else None
        out.append(
            SequenceCheck(
                table=table,
                column=column,
                sequence=f"{seq_schema}.{seq}",
                next_value=last + increment if called else last,
                max_value=highest,
            )
        )
    return out
