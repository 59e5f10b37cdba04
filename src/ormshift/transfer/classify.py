"""A refused batch sorted out on the target in one round trip, with bisection's outcome.

The batch is copied again, into a temporary staging table that accepts anything the
source sends (text columns, or the target's own types for binary COPY), then one
PL/pgSQL block on the target:

1. casts the staged rows to the target's column types in one statement (assignment
   semantics, as COPY parses them); when some do not cast, each column is cast on its
   own over the batch, and of the columns that fail, the rows whose text does not look
   like the type (digits for an integer, a number, a uuid, a boolean, an enum's label,
   a length) are set aside; of those, the rows with a value of such a column that does
   not cast are refused in one statement with the error of the first such value in the
   plan's column order (the one COPY fails on), each value assigned in
   a PL/pgSQL function that catches the error (PostgreSQL 15 has no way to test an
   input without raising), and the others are tried on their own. Where no such test
   exists or it lets a bad value through, each row is cast on its own into variables of
   those types instead, in key order; and when a row set aside turns out to cast, the
   block starts again that way, so that no row is written out of key order;
2. predicts the rows the target will refuse, one statement per kind: NULL in a NOT NULL
   column and a false CHECK (in one scan), a foreign key whose parent is missing, a
   unique value the target already holds (not looked up under the batch's own key when
   the target has no row in the batch's key range: ``fresh``); rows sharing a unique
   value with another row of the batch are marked to be tried one by one, in key order;
3. writes out the reasons of the predicted rows as the server words them (NOT NULL and
   CHECK with the "Failing row contains (...)" detail, unique and foreign key with their
   "Key (...)=(...)" detail), and checks each kind with one real ``INSERT`` of its first
   row: when the server says otherwise, that kind's rows are tried instead;
4. tries the other predicted rows on their own (a real ``INSERT`` in a subtransaction:
   the database's own message and detail), then inserts the remaining rows in key order,
   halving any run that still fails, down to the row.

Rows are tried in key order where the order can change the outcome (a duplicate within
the batch: the first good row wins) or what the database says, so the written rows and
each reject's reason are those of `ormshift.transfer.rejects.bisect`, with the target
state bisection would have had. A prediction only decides what is tried first and how;
the database decides every row. When something only a real insert in key order can tell
is present (triggers, exclusion constraints, partitions, deferrable or partial or
expression unique indexes, a foreign key to the same table: `Shape.ordered`), every
predicted row is tried, in key order between the runs.

Identifiers come from the plan and the target's catalog (CHECK expressions as
``pg_get_expr`` prints them); the rows themselves never enter SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from ormshift.transfer.errors import TransferError
from ormshift.transfer.shape import ORD, Column, ForeignKey, Shape, Unique

STAGE = sql.Identifier("pg_temp", "ormshift_stage")
TYPED = sql.Identifier("pg_temp", "ormshift_typed")
BAD = sql.Identifier("pg_temp", "ormshift_bad")
OUT = sql.Identifier("pg_temp", "ormshift_out")
EMU = sql.Identifier("pg_temp", "ormshift_emu")
CLIP = sql.Identifier("pg_temp", "ormshift_clip")
#: a value as the server's "Failing row contains" detail shows it: at most 64 bytes
#: (cut on a character boundary), then "..." (ExecBuildSlotValueDescription)
_CLIP = """
create or replace function {}(v text) returns text language sql immutable as $$
  select case when octet_length(v) <= 64 then v
              when octet_length(v) = char_length(v) then left(v, 64) || '...'
              else (select left(v, k) from generate_series(64, 1, -1) k
                    where octet_length(left(v, k)) <= 64 limit 1) || '...' end
$$"""
_ORD = sql.Identifier(ORD)
_ROW_ERRORS = sql.SQL("data_exception or integrity_constraint_violation")
#: the staging tables, the row number and the row errors, as every template names them
_NAMES = {
    "stage": STAGE,
    "typed": TYPED,
    "bad": BAD,
    "out": OUT,
    "emu": EMU,
    "clip": CLIP,
    "o": _ORD,
    "errors": _ROW_ERRORS,
}


@dataclass(frozen=True)
class Classified:
    written: int
    refused: list[tuple[int, str, str]]  # (position in the batch, message, detail)
    written_out: int = 0  # of them, reasons written out in SQL (checked by one real try)


def _ident_list(names: tuple[str, ...], alias: str | None = None) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(*([alias] if alias else []), n) for n in names)


def _stage_type(c: Column, binary: bool) -> sql.SQL:
    return sql.SQL(c.fmt if binary and not c.enum else "text")


def _needs_cast(c: Column, binary: bool) -> bool:
    return not binary or c.enum


def _casts(shape: Shape, binary: bool) -> sql.Composed:
    """The staged columns as the target's types (the insert's assignment adds modifiers)."""
    return sql.SQL(", ").join(
        sql.SQL("s.{}::{}").format(sql.Identifier(c.name), sql.SQL(c.base))
        if _needs_cast(c, binary)
        else sql.SQL("s.{}").format(sql.Identifier(c.name))
        for c in shape.columns
    )


_BAD_TABLE = sql.SQL(
    "create temp table {} ({} int primary key, castbad boolean not null,"
    " single boolean not null, settled boolean not null default false) on commit drop"
).format(BAD, _ORD)


def create_marks(target: psycopg.Connection) -> None:
    """Only the table of marked rows (what `_predictions` writes), for this transaction."""
    target.execute(sql.SQL("drop table if exists {}; {}").format(BAD, _BAD_TABLE))


def create_tables(target: psycopg.Connection, shape: Shape, binary: bool) -> bool:
    """The staging tables of this transaction; True when the staged rows need casting."""
    typed = any(_needs_cast(c, binary) for c in shape.columns)
    stmts = [
        sql.SQL("drop table if exists {}, {}, {}, {}, {}").format(STAGE, TYPED, BAD, OUT, EMU),
        sql.SQL(
            "create temp table {} ({} int generated always as identity, {}) on commit drop"
        ).format(
            STAGE,
            _ORD,
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c.name), _stage_type(c, binary))
                for c in shape.columns
            ),
        ),
        _BAD_TABLE,
        sql.SQL(
            "create temp table {} (o int primary key, cls int not null, message text,"
            " detail text) on commit drop"
        ).format(EMU),
        sql.SQL(
            "create temp table {} ({} int not null, message text, detail text) on commit drop"
        ).format(OUT, _ORD),
    ]
    if shape.row_columns:
        stmts.append(sql.SQL(_CLIP).format(CLIP))
    if typed:
        stmts.append(
            sql.SQL("create temp table {} ({} int not null, {}) on commit drop").format(
                TYPED,
                _ORD,
                sql.SQL(", ").join(
                    sql.SQL("{} {}{}").format(
                        sql.Identifier(c.name),
                        sql.SQL(c.fmt),
                        sql.SQL(f" collate {c.collation}" if c.collation else ""),
                    )
                    for c in shape.columns
                ),
            )
        )
    target.execute(sql.SQL("; ").join(stmts))
    return typed


def stage_copy(shape: Shape, binary: bool) -> sql.Composed:
    return sql.SQL("copy {} ({}) from stdin (format {})").format(
        STAGE,
        _ident_list(tuple(c.name for c in shape.columns)),
        sql.SQL("binary" if binary else "text"),
    )


def classify(
    target: psycopg.Connection,
    shape: Shape,
    binary: bool,
    write: Callable[[psycopg.Copy], Any],
    *,
    fresh: bool = False,
    probe: bool = False,
) -> Classified:
    """Stage a batch (``write`` sends its COPY data) and load it into ``shape``'s table
    inside the caller's transaction; raises the target's error if a step outside the
    per-row tries fails (the caller rolls back and bisects). ``fresh``: the target holds
    no row that could share a key with the batch (none in its key range, of a key type
    that orders the same on both sides), so that is not looked up. ``probe``: the batch
    is a few rows (those `ormshift.transfer.predict` set aside): its rows' values are
    looked up in the target and the parents one by one, by index."""
    typed = create_tables(target, shape, binary)
    with target.cursor() as cur:
        with cur.copy(stage_copy(shape, binary)) as sink:
            write(sink)
        n = cur.rowcount
    target.execute(sql.SQL("create index on {} ({})").format(STAGE, _ORD))
    try:
        with target.transaction():
            _run(target, _block(shape, binary, typed, n, fresh, exact=False, probe=probe))
    except psycopg.errors.RaiseException as exc:
        if exc.diag.message_primary != _REORDER:
            raise
        # a row set aside as not casting did cast: the rows are tried in key order
        _run(target, _block(shape, binary, typed, n, fresh, exact=True, probe=probe))
    refused = [
        (int(r[0]) - 1, str(r[1]), str(r[2] or ""))
        for r in target.execute(
            sql.SQL("select {}, message, detail from {} order by 1").format(_ORD, OUT)
        ).fetchall()
    ]
    row = target.execute(
        "select current_setting('ormshift.written'), current_setting('ormshift.written_out', true)"
    ).fetchone()
    assert row is not None
    written = int(row[0])
    if written + len(refused) != n:
        raise TransferError(
            f"the target sorted {written} + {len(refused)} rows of a batch of {n}; the batch "
            "was rolled back"
        )
    return Classified(written, refused, int(row[1] or 0))


def _run(target: psycopg.Connection, block: sql.Composed) -> None:
    target.execute(sql.SQL("do {}").format(sql.Literal(block.as_string(target))))


_REORDER = "ormshift: a row set aside as not casting cast"
#: an integer's text that starts with a digit (after blanks and a sign); one that does
#: not is not an integer's text on any server version (PostgreSQL 16's 0x... and 1_000
#: start with one too)
_DIGIT_FIRST = r"^[ \t\n\r\f\v]*[-+]?[0-9]"
#: integer digits that always fit the type (more may, and are tried on their own)
_DIGITS = {"smallint": 4, "integer": 9, "bigint": 18}
_NUMBER = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)(e[-+]?[0-9]+)?\s*$"
_SPECIAL = r"^\s*[-+]?(nan|inf|infinity)\s*$"
_BOOL = r"^\s*(t|f|true|false|y|n|yes|no|on|off|1|0)\s*$"
_UUID = r"^\s*\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?\s*$"
_LENGTH = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)$")


def _looks_valid(c: Column) -> sql.Composable | None:
    """A test that the staged text of ``c`` casts to its type, where a cheap one exists
    (None: none, the value is taken to cast). It may reject values that do cast (they
    are then tried on their own); a value it passes that does not cast fails the
    statement, and every row is then cast on its own."""
    v = sql.SQL("s.{}").format(sql.Identifier(c.name))
    if c.enum:
        return sql.SQL("{} = any(enum_range(null::{})::text[])").format(v, sql.SQL(c.fmt))
    if c.base in _DIGITS:  # plain digits without a regular expression (4 times cheaper)
        return sql.SQL(
            "((char_length({v}) between 1 and {n} and ltrim({v}, '0123456789') = '') or {v} ~ {rx})"
        ).format(
            v=v,
            n=sql.Literal(_DIGITS[c.base]),
            rx=sql.Literal(rf"^\s*[-+]?[0-9]{{1,{_DIGITS[c.base]}}}\s*$"),
        )
    if c.base in ("numeric", "real", "double precision"):
        return sql.SQL("({v} ~* {n} or {v} ~* {x})").format(
            v=v, n=sql.Literal(_NUMBER), x=sql.Literal(_SPECIAL)
        )
    if c.base == "boolean":
        return sql.SQL("{} ~* {}").format(v, sql.Literal(_BOOL))
    if c.base == "uuid":
        return sql.SQL("{} ~* {}").format(v, sql.Literal(_UUID))
    length = _LENGTH.match(c.fmt)
    if length:
        return sql.SQL("char_length({}) <= {}").format(v, sql.Literal(int(length.group(2))))
    return None


def _try_name(k: int) -> sql.Identifier:
    return sql.Identifier("pg_temp", f"ormshift_try{k}")


#: the error (message, detail) of assigning a staged value to a variable of a column's
#: type, as an INSERT's assignment fails on it, or NULL when it casts; a subtransaction
#: per call, as a row's own try, but no INSERT (PostgreSQL 15 has no pg_input_error_info)
_TRY = """
create or replace function {name}(v text) returns text[] language plpgsql as $ormshift_try$
declare x {fmt}; m text; d text;
begin
  x := v::{base};
  return null;
exception when {errors} then
  get stacked diagnostics m = message_text, d = pg_exception_detail;
  return array[m, d];
end $ormshift_try$;"""


def _set_aside(c: Column, i: int) -> sql.Composed:
    """Mark the staged rows whose ``c`` (the table's ``i``-th column of the plan) does not
    look like its type, when some value of ``c`` does not cast (tested in one statement);
    ``untestable`` when no test exists. A column whose rows are marked gets its flag
    ``f<i>`` (`_cast_errors`)."""
    looks = _looks_valid(c)
    mark = (
        sql.SQL("untestable := true;")
        if looks is None
        else sql.SQL(
            "insert into {bad} select s.{o}, true, false from {stage} s"
            " where not coalesce({looks}, true) on conflict do nothing; f{i} := true;"
        ).format(**_NAMES, looks=looks, i=sql.SQL(str(i)))
    )
    if _LENGTH.match(c.fmt):  # a cast truncates where an assignment fails: always looked at
        return sql.SQL("\n      {}").format(mark)
    return sql.SQL(
        """
      ok := true;
      begin
        perform count(s.{c}::{fmt}) from {stage} s;
      exception when {errors} then
        ok := false;
      end;
      if not ok then
        {mark}
      end if;"""
    ).format(**_NAMES, c=sql.Identifier(c.name), fmt=sql.SQL(c.fmt), mark=mark)


def _cast_errors(shape: Shape, needs: Sequence[tuple[int, Column]]) -> sql.Composed:
    """The rows set aside as not casting whose value of a column marked by `_set_aside`
    does not cast: refused in one statement with the error of the first such column in
    the plan's order (the one COPY, and so bisection, fails on: it parses the values in
    that order, before any constraint), and settled. The others set aside (all their
    values cast) are tried as before."""
    tested = [(i, c) for i, c in needs if _looks_valid(c) is not None]
    if not tested or shape.ordered:
        return sql.Composed([])
    flag = [sql.SQL("f{}").format(sql.SQL(str(i))) for i, _ in tested]
    # one function per type (made here: a statement's functions must exist to plan it)
    types = list(dict.fromkeys((c.fmt, c.base) for _, c in tested))
    made = sql.Composed(
        [
            sql.SQL(_TRY).format(**_NAMES, name=_try_name(k), fmt=sql.SQL(fmt), base=sql.SQL(base))
            for k, (fmt, base) in enumerate(types)
        ]
    )
    each: list[sql.Composable] = []
    probes: list[sql.Composable] = []
    for f, (i, c) in zip(flag, tested, strict=True):
        v = sql.SQL("s.{}").format(sql.Identifier(c.name))
        tried = sql.SQL("{}({})").format(_try_name(types.index((c.fmt, c.base))), v)
        if c.base in _DIGITS:
            # an integer's text with no digit first (after blanks and a sign) is one the
            # server refuses with this error on any version; written out, once checked
            # against the server on one of the values (``e<i>``: it agreed)
            fn = _try_name(types.index((c.fmt, c.base)))
            text = sql.Literal(f'invalid input syntax for type {c.base}: "')
            said = sql.SQL("array[{} || {} || '\"', '']").format(text, v)
            e = sql.SQL("e{}").format(sql.SQL(str(i)))
            probes.append(
                sql.SQL(
                    """
    if {f} then
      probe := (select {v} from {bad} b join {stage} s on s.{o} = b.{o} where b.castbad
        and not b.single and {v} !~ {rx} limit 1);
      {e} := probe is not null
        and {fn}(probe) is not distinct from array[{text} || probe || '"', ''];
    end if;"""
                ).format(**_NAMES, f=f, v=v, rx=sql.Literal(_DIGIT_FIRST), e=e, fn=fn, text=text)
            )
            tried = sql.SQL("case when {e} and {v} !~ {rx} then {said} else {tried} end").format(
                e=e, v=v, rx=sql.Literal(_DIGIT_FIRST), said=said, tried=tried
            )
        each.append(sql.SQL("case when {} then {} end").format(f, tried))
    errors = sql.SQL(", ").join(each)
    first = errors if len(tested) == 1 else sql.SQL("coalesce({})").format(errors)
    return sql.SQL(
        """
  if {any} then{made}{probes}
    insert into {out} select x.o, x.e[1], x.e[2] from (select b.{o} as o, {first} as e
      from {bad} b join {stage} s on s.{o} = b.{o} where b.castbad and not b.single
      offset 0) x where x.e is not null;
    update {bad} b set settled = true where b.castbad and not b.single
      and exists (select 1 from {out} x where x.{o} = b.{o});
  end if;"""
    ).format(
        **_NAMES,
        any=sql.SQL(" or ").join(flag),
        made=made,
        probes=sql.Composed(probes),
        first=first,
    )


def _bisect(attempt: sql.Composable, single: sql.Composable) -> sql.Composed:
    """Try ``attempt`` on rows [lo, hi), halving on row errors; ``single`` handles a
    failing single row (``m`` and ``d`` hold the error's message and detail)."""
    return sql.SQL(
        """
    while top > 0 loop
      lo := st[top - 1]; hi := st[top]; top := top - 2;
      continue when lo >= hi;
      begin
        {attempt}
      exception when {errors} then
        if hi - lo = 1 then
          get stacked diagnostics m = message_text, d = pg_exception_detail;
          {single}
        else
          mid := (lo + hi) / 2;
          st[top + 1] := mid; st[top + 2] := hi; st[top + 3] := lo; st[top + 4] := mid;
          top := top + 4;
        end if;
      end;
    end loop;"""
    ).format(**_NAMES, attempt=attempt, single=single)


_NOTHING = sql.SQL("null;")
_FAILING_ROW = sql.SQL("row_detail")


def _guarded(stmt: sql.Composable, fallback: sql.Composable = _NOTHING) -> sql.Composed:
    """A prediction: when it cannot run on this batch, nothing is predicted by it."""
    return sql.SQL("\n  begin {}; exception when others then {} end;").format(stmt, fallback)


def _all_not_null(cols: tuple[str, ...], alias: str = "t") -> sql.Composed:
    return sql.SQL(" and ").join(
        sql.SQL("{} is not null").format(sql.Identifier(alias, c)) for c in cols
    )


def _equal(left: str, lcols: tuple[str, ...], right: str, rcols: tuple[str, ...]) -> sql.Composed:
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(left, a), sql.Identifier(right, b))
        for a, b in zip(lcols, rcols, strict=True)
    )


#: a lookup's subquery made to run as an index probe per row (OFFSET keeps the planner
#: from joining it, which hashes the whole looked-up table: a few rows set aside by
#: `ormshift.transfer.predict` would cost a scan of the growing target)
_PROBE = sql.SQL(" offset 0")


def _foreign(fk: ForeignKey, probe: bool = False) -> sql.Composed:
    missing = sql.SQL("not exists (select 1 from {} p where {}{})").format(
        fk.parent, _equal("p", fk.parent_columns, "t", fk.columns), _PROBE if probe else sql.SQL("")
    )
    if not fk.full:
        return sql.SQL("{} and {}").format(_all_not_null(fk.columns), missing)
    nulls = sql.SQL("num_nulls({})").format(_ident_list(fk.columns, "t"))
    return sql.SQL("({n} between 1 and {k}) or ({n} = 0 and {missing})").format(
        n=nulls, k=sql.Literal(len(fk.columns) - 1), missing=missing
    )


def _count(conds: Sequence[sql.Composable]) -> sql.Composed:
    return sql.SQL(" + ").join(sql.SQL("({})::int").format(c) for c in conds)


def _held(shape: Shape, u: Unique, probe: bool = False) -> sql.Composed:
    """The row's values of ``u`` are on the target already."""
    return sql.SQL("{} and exists (select 1 from {} x where {}{})").format(
        _all_not_null(u.columns),
        shape.target,
        _equal("x", u.columns, "t", u.columns),
        _PROBE if probe else sql.SQL(""),
    )


def _shown(cols: tuple[str, ...]) -> sql.Composed:
    """The row's values as a "Key (...)=(...)" detail shows them (output functions)."""
    return sql.SQL("concat_ws(', ', {})").format(
        sql.SQL(", ").join(
            sql.SQL("case when t.{c} is null then 'null' else concat(t.{c}) end").format(
                c=sql.Identifier(c)
            )
            for c in cols
        )
    )


def _held_uniques(shape: Shape, fresh: bool) -> list[Unique]:
    """The uniques a row's values could be held under on the target: when the target
    has no row in the batch's key range (``fresh``), none that holds the batch's key."""
    if not (fresh and shape.unique_key):
        return list(shape.uniques)
    return [u for u in shape.uniques if not set(u.columns) >= set(shape.unique_key)]


def _marking(rows: sql.Composable, cond: sql.Composable) -> sql.Composed:
    return sql.SQL(
        "insert into {bad} select t.{o}, false, false from {rows} t where {cond}"
        " on conflict do nothing"
    ).format(**_NAMES, rows=rows, cond=cond)


def _predictions(
    shape: Shape,
    rows: sql.Composable,
    fresh: bool,
    nulls: sql.Composable | None = None,
    probe: bool = False,
) -> list[sql.Composed]:
    """Statements marking rows of ``rows`` (alias t) the target is expected to refuse
    (``nulls``: a column of ``rows`` that says a NOT NULL column is null, instead of
    looking at those columns)."""

    def mark(cond: sql.Composable) -> sql.Composed:
        return _guarded(_marking(rows, cond))

    out: list[sql.Composed] = []
    local: list[sql.Composable] = (
        [
            sql.SQL("t.{} is null").format(sql.Identifier(c.name))
            for c in shape.columns
            if c.not_null
        ]
        if nulls is None
        else [sql.SQL("t.{}").format(nulls)]
    )
    local += [sql.SQL("not coalesce(({}), true)").format(sql.SQL(x)) for _, x in shape.checks]
    if len(local) > 1:  # one scan for all; each on its own if one of them cannot run
        each = sql.Composed([mark(x) for x in local])
        out.append(_guarded(_marking(rows, sql.SQL(" or ").join(local)), each))
    elif local:
        out.append(mark(local[0]))
    for fk in shape.foreign_keys:
        out.append(mark(_foreign(fk, probe)))
    for unique in _held_uniques(shape, fresh):
        out.append(mark(_held(shape, unique, probe)))
    for unique in shape.uniques:  # shared within the batch: tried one by one, in key order
        cols = unique.columns
        if shape.unique_key and set(cols) >= set(shape.unique_key):
            continue  # holds the batch's key, which the source keeps unique
        out.append(
            _guarded(
                sql.SQL(
                    "insert into {bad} select t.{o}, false, true from {rows} t where {nn} and"
                    " ({tcols}) in (select {tcols} from {rows} t where {nn} group by {tcols}"
                    " having count(*) > 1) on conflict ({o}) do update set single = true"
                ).format(**_NAMES, tcols=_ident_list(cols, "t"), rows=rows, nn=_all_not_null(cols)),
                sql.SQL("safe := true;"),
            )
        )
    return out


def _written_out(
    shape: Shape, rows: sql.Composable, insert: sql.Composable, fresh: bool, probe: bool = False
) -> sql.Composed:
    """The reasons of rows refused by a NOT NULL or CHECK, written as the server words
    them, and one real try per constraint to see that it does (else its rows are tried)."""
    if not shape.row_columns:
        return sql.Composed([])
    by_name = {c.name: c for c in shape.columns}
    # the server checks NOT NULL in the table's column order, then CHECKs by name
    pairs: list[tuple[sql.Composable, str]] = [
        (
            sql.SQL("t.{} is null").format(sql.Identifier(name)),
            f'null value in column "{name}" of relation "{shape.relation}" violates'
            " not-null constraint",
        )
        for name in shape.row_columns
        if by_name[name].not_null
    ]
    for name, expr in shape.checks:
        pairs.append(
            (
                sql.SQL("not coalesce(({}), true)").format(sql.SQL(expr)),
                f'new row for relation "{shape.relation}" violates check constraint "{name}"',
            )
        )
    details: list[sql.Composable] = [_FAILING_ROW] * len(pairs)
    # then a unique value the target holds (index order), then a missing parent; a row
    # with two of a kind is tried instead (which one the server names is its business)
    # (each looked up once per row, as a column of the inner query: ormshift_h<i>, _f<i>)
    uniques = _held_uniques(shape, fresh)
    flags: list[sql.Composable] = []
    held: list[sql.Composable] = []
    for i, u in enumerate(uniques):
        flag = sql.Identifier(f"ormshift_h{i}")
        flags.append(sql.SQL("({}) as {}").format(_held(shape, u, probe), flag))
        held.append(sql.SQL("t.{}").format(flag))
    if len(held) > 1:
        pairs.append((sql.SQL("{} > 1").format(_count(held)), ""))
        details.append(sql.NULL)
    for u, cond in zip(uniques, held, strict=True):
        pairs.append((cond, f'duplicate key value violates unique constraint "{u.name}"'))
        details.append(
            sql.SQL("{} || {} || ') already exists.'").format(
                sql.Literal(f"Key ({', '.join(u.shown)})=("), _shown(u.columns)
            )
        )
    missing: list[sql.Composable] = []
    for i, fk in enumerate(shape.foreign_keys):
        flag = sql.Identifier(f"ormshift_f{i}")
        flags.append(sql.SQL("({}) as {}").format(_foreign(fk, probe), flag))
        missing.append(sql.SQL("t.{}").format(flag))
    if len(missing) > 1:
        pairs.append((sql.SQL("{} > 1").format(_count(missing)), ""))
        details.append(sql.NULL)
    for fk, cond in zip(shape.foreign_keys, missing, strict=True):
        if fk.full:  # its detail depends on which columns are NULL: tried
            pairs.append((cond, ""))
            details.append(sql.NULL)
            continue
        pairs.append(
            (
                cond,
                f'insert or update on table "{shape.relation}" violates foreign key constraint'
                f' "{fk.name}"',
            )
        )
        details.append(
            sql.SQL("{} || {} || {}").format(
                sql.Literal(f"Key ({', '.join(fk.columns)})=("),
                _shown(fk.columns),
                sql.Literal(f') is not present in table "{fk.parent_name}".'),
            )
        )
    if not pairs:
        return sql.Composed([])
    cls = sql.SQL("case {} end").format(
        sql.SQL(" ").join(
            sql.SQL("when {} then {}").format(cond, sql.Literal(i + 1) if text else sql.NULL)
            for i, (cond, text) in enumerate(pairs)
        )
    )
    # each value's text (its output function) made once, in a subquery of its own that
    # runs only for the rows whose detail is the failing row
    texts_of = sql.SQL(", ").join(
        sql.SQL("concat(t.{}) as {}").format(sql.Identifier(c), sql.Identifier(f"v{i}"))
        for i, c in enumerate(shape.row_columns)
    )
    values = sql.SQL(", ").join(
        sql.SQL(
            "case when t.{c} is null then 'null' when octet_length(v.{v}) <= 64 then v.{v}"
            " when octet_length(v.{v}) = char_length(v.{v}) then left(v.{v}, 64) || '...'"
            " else {clip}(v.{v}) end"
        ).format(**_NAMES, c=sql.Identifier(c), v=sql.Identifier(f"v{i}"))
        for i, c in enumerate(shape.row_columns)
    )
    texts = sql.SQL("array[{}]").format(sql.SQL(", ").join(sql.Literal(m) for _, m in pairs))
    detail = sql.SQL("case t.cls {} end").format(
        sql.SQL(" ").join(
            sql.SQL("when {} then {}").format(sql.Literal(i + 1), d) for i, d in enumerate(details)
        )
    )
    # the predicted rows first (offset 0: nothing below is computed for the others), then
    # their class, then the messages of those that have one
    fill = sql.SQL(
        "insert into {emu} select t.o, t.cls, ({texts})[t.cls], {detail} from (select t.*,"
        " {cls} as cls, (select 'Failing row contains (' || concat_ws(', ', {values}) || ').'"
        " from (select {texts_of} offset 0) v) as row_detail from (select t.*, t.{o} as"
        " o{flags} from {rows} t join {bad} b on b.{o} = t.{o} where not b.single offset 0) t)"
        " t where t.cls is not null"
    ).format(
        **_NAMES,
        texts=texts,
        texts_of=texts_of,
        detail=detail,
        cls=cls,
        values=values,
        rows=rows,
        flags=sql.Composed([sql.SQL(", {}").format(f) for f in flags]),
    )
    return sql.SQL(
        """
  {fill}
  for r in select distinct on (e.cls) e.o, e.cls, e.message, e.detail from {emu} e
           order by e.cls, e.o loop
    begin
      {insert} select {tcols} from {rows} t where t.{o} = r.o;
      written := written + 1;
      delete from {emu} where cls = r.cls;
      update {bad} set settled = true where {o} = r.o;
    exception when {errors} then
      get stacked diagnostics m = message_text, d = pg_exception_detail;
      if m is distinct from r.message or d is distinct from r.detail then
        delete from {emu} where cls = r.cls and o <> r.o;
        update {emu} set message = m, detail = d where o = r.o;
      end if;
    end;
  end loop;
  insert into {out} select o, message, detail from {emu};
  perform set_config('ormshift.written_out', (select count(*) from {emu})::text, true);"""
    ).format(
        **_NAMES,
        fill=_guarded(fill),
        insert=insert,
        tcols=_ident_list(tuple(c.name for c in shape.columns), "t"),
        rows=rows,
    )


def _typed_fill(shape: Shape, binary: bool, exact: bool) -> tuple[sql.Composed, sql.Composed]:
    """The staged rows cast into the typed table in one statement. When some do not
    cast, the rows whose text does not look like its type (`_looks_valid`) are set aside
    (those with a value that does not cast are refused by `_cast_errors`, the others
    tried on their own), and the rest cast in one statement; when that fails too, or
    ``exact`` (a row set aside did cast: the rows are then tried in key order), each row
    is cast on its own first (into variables of the column types, which apply modifiers
    as an assignment does) and those that fail are refused with that error."""
    cols = _ident_list(tuple(c.name for c in shape.columns))
    needs = [(i, c) for i, c in enumerate(shape.columns) if _needs_cast(c, binary)]
    declare = sql.SQL("").join(
        sql.SQL("\n  v{} {};").format(sql.SQL(str(i)), sql.SQL(c.fmt)) for i, c in needs
    )
    assign = sql.SQL(" ").join(
        sql.SQL("v{} := r.{}::{};").format(sql.SQL(str(i)), sql.Identifier(c.name), sql.SQL(c.base))
        for i, c in needs
    )
    insert = sql.SQL(
        "insert into {typed} ({o}, {cols}) select s.{o}, {casts} from {stage} s"
    ).format(**_NAMES, cols=cols, casts=_casts(shape, binary))
    rest = sql.SQL("{} where not exists (select 1 from {} b where b.{} = s.{})").format(
        insert, BAD, _ORD, _ORD
    )
    each = sql.SQL(
        """for r in select * from {stage} loop
      begin
        {assign}
      exception when {errors} then
        -- refused (settled) with the error COPY gives it: the first column, in the
        -- plan's order, that does not cast
        get stacked diagnostics m = message_text, d = pg_exception_detail;
        insert into {bad} values (r.{o}, true, true, true);
        insert into {out} values (r.{o}, m, d);
      end;
    end loop;
    {rest};"""
    ).format(**_NAMES, assign=assign, rest=rest)
    after: sql.Composable = sql.SQL("")
    if not exact and any(_looks_valid(c) is not None for _, c in needs):
        each = sql.SQL(
            """begin
      -- which columns do not cast (each on its own, every row): only their rows that
      -- do not look like the type are set aside; a column with no such test: every row
      -- on its own{columns}
      if untestable then
        raise exception using errcode = 'data_exception';
      end if;
      {rest};
    exception when {errors} then{reset}
      {each}
    end;"""
        ).format(
            **_NAMES,
            columns=sql.Composed([_set_aside(c, i) for i, c in needs]),
            rest=rest,
            reset=sql.Composed(
                [sql.SQL("\n      f{} := false;").format(sql.SQL(str(i))) for i, _ in needs]
            ),
            each=each,
        )
        flags = sql.Composed(
            [
                sql.SQL(" f{i} boolean := false; e{i} boolean := false;").format(i=sql.SQL(str(i)))
                for i, _ in needs
            ]
        )
        declare = sql.SQL("{}\n  ok boolean; untestable boolean := false; probe text;{}").format(
            declare, flags
        )
        after = _cast_errors(shape, needs)
    fill = sql.SQL(
        """
  begin
    {insert};
  exception when {errors} then
    {each}
  end;
  create index on {typed} ({o});{after}"""
    ).format(**_NAMES, insert=insert, each=each, after=after)
    return fill, declare


def _block(
    shape: Shape, binary: bool, typed: bool, n: int, fresh: bool, *, exact: bool, probe: bool
) -> sql.Composed:
    cols = _ident_list(tuple(c.name for c in shape.columns))
    tcols = _ident_list(tuple(c.name for c in shape.columns), "t")
    rows = TYPED if typed else STAGE
    insert = sql.SQL("insert into {} ({}) overriding system value").format(shape.target, cols)
    refuse = sql.SQL("insert into {} values (lo, m, d);").format(OUT)
    fill: sql.Composable = sql.SQL("")
    declare: sql.Composable = sql.SQL("")
    if typed:
        fill, declare = _typed_fill(shape, binary, exact)
    run = sql.SQL(
        "{insert} select {tcols} from {rows} t where t.{o} >= lo and t.{o} < hi and not exists"
        " (select 1 from {bad} b where b.{o} = t.{o});"
        " get diagnostics c = row_count; written := written + c;"
    ).format(**_NAMES, insert=insert, tcols=tcols, rows=rows)

    def one(cast: sql.Composable) -> sql.Composed:
        """Row r.o on its own (``cast``: what follows when a row set aside as not casting
        is written)."""
        return sql.SQL(
            """begin
        if r.cb then
          {insert} select {casts} from {stage} s where s.{o} = r.o;{cast}
        else
          {insert} select {tcols} from {rows} t where t.{o} = r.o;
        end if;
        written := written + 1;
      exception when {errors} then
        get stacked diagnostics m = message_text, d = pg_exception_detail;
        insert into {out} values (r.o, m, d);
      end;"""
        ).format(
            **_NAMES, insert=insert, casts=_casts(shape, binary), cast=cast, tcols=tcols, rows=rows
        )

    return sql.SQL(
        """
declare
  m text; d text; lo int; hi int; mid int; c bigint; top int := 0; st int[] := '{{}}';
  prev int := 1; written bigint := 0; r record; safe boolean := {safe};{declare}
begin
  -- the planner's guesses on unanalysed temporary tables are large: no JIT compilation
  set local jit = off;
  {fill}
  {predictions}
  if safe then update {bad} set single = true; end if;
  -- rows predicted refused, each on its own: nothing else of the batch bears on them{emulated}
  -- (not those whose reason is written out: in {emu})
  for r in select b.{o} as o, b.castbad as cb from {bad} b where not b.single and not b.settled
           and not exists (select 1 from {emu} e where e.o = b.{o}) order by 1 loop
    {first}
  end loop;
  -- the rest in key order: runs between the single rows, halved where they fail (none
  -- when every row was predicted refused and has been seen to above)
  if (select count(*) from {bad} b where not b.single) < {n} then
  for r in select b.{o} as o, b.castbad as cb from {bad} b where b.single and not b.settled
           union all select {end}, null order by 1 loop
    top := 2; st[1] := prev; st[2] := r.o;{run}
    if r.cb is not null then
      {one}
    end if;
    prev := r.o + 1;
  end loop;
  end if;
  perform set_config('ormshift.written', written::text, true);
end"""
    ).format(
        **_NAMES,
        safe=sql.SQL("true" if shape.ordered else "false"),
        fill=fill,
        declare=declare,
        predictions=sql.Composed(_predictions(shape, rows, fresh, probe=probe)),
        emulated=_written_out(shape, rows, insert, fresh, probe),
        # out of key order, a row that casts after all could take a unique value from
        # a row before it: the block starts again with every row in key order
        first=one(sql.SQL("\n          raise exception {};").format(sql.Literal(_REORDER))),
        one=one(sql.SQL("")),
        end=sql.Literal(n + 1),
        n=sql.Literal(n),
        run=_bisect(run, refuse),
    )
