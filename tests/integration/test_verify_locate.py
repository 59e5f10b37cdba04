"""Locating differing rows from segment checksums, on random tables with random changes,
against the truth (every row of both sides compared in Python) and against the
bisection it replaced for PostgreSQL sources: the same differences, every time.

Keys are integers (whose text does not sort as they do), uuids, text (in ICU's root
collation, whose order is not the bytes' order, where the server has ICU) and composite;
changes are inserts, deletes, updates to and from NULL, values that look like others once
written out (``''``, ``'N'``, ``'1:N'``, ``'a|b'``), updates that change nothing; streams,
fetches and segments are made small, so every batch boundary is crossed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ormshift.extract.database import reflect
from ormshift.mapping import Mapping
from ormshift.verify import Difference, Event, Options, TableResult, locate, verify
from ormshift.verify.bisect import Bisection
from ormshift.verify.engine import _open, _snapshot
from ormshift.verify.plan import pair_table
from ormshift.verify.report import VerifyReport
from ormshift.verify.tables import TableVerifier

Found = tuple[str, tuple[str, ...], str | None, Any, Any]
TEXTS = ["", "N", "1:N", "a|b", "a", "b|", "|", "x y", "Ä", "é", "ß", "10", "9", "B", "z"]


@dataclass(frozen=True)
class Shape:
    name: str
    key_ddl: str
    key_cols: tuple[str, ...]

    def key(self, rng: random.Random, used: set[tuple[Any, ...]]) -> tuple[Any, ...]:
        while True:
            k = self._key(rng)
            if k not in used:
                used.add(k)
                return k

    def _key(self, rng: random.Random) -> tuple[Any, ...]:
        if self.name == "integer":
            return (rng.randint(-(10**12), 10**12),)
        if self.name == "uuid":
            return (uuid.UUID(int=rng.getrandbits(128)),)
        if self.name == "text":
            return ("".join(rng.choice(TEXTS) for _ in range(rng.randint(1, 4))),)
        return (rng.randint(0, 30), "".join(rng.choice(TEXTS) for _ in range(rng.randint(0, 3))))


SHAPES = [
    Shape("integer", "id bigint primary key", ("id",)),
    Shape("uuid", "id uuid primary key", ("id",)),
    Shape("text", 'id text collate "und-x-icu" primary key', ("id",)),
    Shape("composite", 'a int, b text collate "und-x-icu", primary key (a, b)', ("a", "b")),
]
COLUMNS = ("t", "i", "n", "j", "ts", "f")
DDL = "t text, i int, n numeric(12,2), j jsonb, ts timestamptz, f boolean"


def _value(rng: random.Random, column: str) -> Any:
    if rng.random() < 0.15:
        return None
    if column == "t":
        return rng.choice([*TEXTS, "".join(rng.choice(TEXTS) for _ in range(3))])
    if column == "i":
        return rng.choice([0, 1, -1, 7, rng.randint(-1000, 1000)])
    if column == "n":
        return rng.choice(["0", "1.5", "1.50", "-2.25", str(rng.randint(0, 9999) / 100)])
    if column == "j":
        return psycopg.types.json.Jsonb(rng.choice([{}, {"a": 1}, {"a": 1.0}, [1, "N"], "a|b"]))
    if column == "ts":
        return rng.choice(["2024-01-01 00:00+00", "2024-01-01 01:00+01", "1999-12-31 23:59+00"])
    return rng.choice([True, False])


def _row(rng: random.Random, key: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*key, *(_value(rng, c) for c in COLUMNS))


def _fill(url: str, shape: Shape, rows: list[tuple[Any, ...]]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        icu = conn.execute("select 1 from pg_collation where collname = 'und-x-icu'").fetchone()
        key_ddl = shape.key_ddl if icu else shape.key_ddl.replace(' collate "und-x-icu"', "")
        conn.execute(sql.SQL(f"create table item ({key_ddl}, {DDL})"))  # type: ignore[arg-type]
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in (*shape.key_cols, *COLUMNS))
        with conn.cursor().copy(sql.SQL("copy item ({}) from stdin").format(cols)) as copy:
            for row in rows:
                copy.write_row(row)
        conn.execute("analyze item")


def _changed(rng: random.Random, shape: Shape, rows: list[tuple[Any, ...]]) -> list[Any]:
    """The target's rows: the source's with random inserts, deletes and updates."""
    used = {r[: len(shape.key_cols)] for r in rows}
    mode = rng.choice(["few", "many", "all gone", "all new", "none"])
    if mode == "all gone":
        return []
    if mode == "none":
        return list(rows)
    rate = 0.01 if mode == "few" else rng.choice([0.1, 0.4, 0.9])
    out: list[tuple[Any, ...]] = []
    nk = len(shape.key_cols)
    for row in rows:
        if mode == "all new":
            break
        r = rng.random()
        if r < rate / 3:
            continue  # deleted
        values = list(row)
        if r < rate:  # updated: one or more columns, sometimes to the same value
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(nk, len(values))
                values[i] = _value(rng, COLUMNS[i - nk]) if rng.random() < 0.8 else values[i]
        out.append(tuple(values))
    inserts = len(rows) if mode == "all new" else int(len(rows) * rate / 3) + 1
    out.extend(_row(rng, shape.key(rng, used)) for _ in range(inserts))
    rng.shuffle(out)
    return out


def _rows(url: str, shape: Shape) -> dict[tuple[str, ...], tuple[dict[str, Any], dict[str, Any]]]:
    """Every row of ``url``'s item: key texts -> (column texts as verify shows them,
    column values to compare: jsonb as loaded, where 1 and 1.0 are equal; text else)."""
    keys = ", ".join(f"{c}::text" for c in shape.key_cols)
    shown = ", ".join(f"{c}::text" for c in COLUMNS)
    with _open(url) as conn:
        query = f"select {keys}, {shown}, j from item"
        rows = conn.execute(query).fetchall()  # type: ignore[call-overload]
    nk, nc = len(shape.key_cols), len(COLUMNS)
    out = {}
    for r in rows:
        texts = dict(zip((*shape.key_cols, *COLUMNS), r[: nk + nc], strict=True))
        out[tuple(r[:nk])] = (texts, {**texts, "j": r[nk + nc]})
    return out


def _truth(source: str, target: str, shape: Shape) -> list[Found]:
    """The differences, from every row of both sides."""
    src, tgt = _rows(source, shape), _rows(target, shape)
    out: list[Found] = []
    for key, (shown, values) in src.items():
        other = tgt.get(key)
        if other is None:
            out.append(("missing", key, None, shown, None))
            continue
        out.extend(
            ("changed", key, c, shown[c], other[0][c]) for c in COLUMNS if values[c] != other[1][c]
        )
    out.extend(("extra", key, None, None, row[0]) for key, row in tgt.items() if key not in src)
    return sorted(out, key=repr)


def _found(differences: list[Difference]) -> list[Found]:
    return sorted(
        (
            (d.kind, tuple(d.key.values()) if d.key else (), d.column, d.source, d.target)
            for d in differences
        ),
        key=repr,
    )


def _verify(source: str, target: str, **kw: Any) -> tuple[list[Difference], TableResult]:
    events: list[Event] = []
    verify(source, target, tables=["item"], on_event=events.append, **kw)
    (result,) = [e for e in events if isinstance(e, TableResult)]
    return [e for e in events if isinstance(e, Difference)], result


def _bisected(source: str, target: str, options: Options) -> list[Difference]:
    """The same table through the bisection that located differences before segments."""
    found: list[Difference] = []
    with _open(source) as src_conn, _open(target) as tgt_conn:
        src_m, tgt_m = reflect(src_conn, "public"), reflect(tgt_conn, "public")
        pair = pair_table(src_m.table("item"), tgt_m.table("item"), Mapping().table("item"))
        _snapshot(src_conn)
        _snapshot(tgt_conn)
        with ThreadPoolExecutor(2) as executor, src_conn.transaction(), tgt_conn.transaction():
            run = TableVerifier(
                executor, src_conn, tgt_conn, "public", "public", options, VerifyReport(), print
            )
            src, tgt = run.sides(pair)
            result = TableResult("item", "item")
            Bisection(
                src,
                tgt,
                executor=executor,
                options=options,
                result=result,
                key_names=pair.source_key.columns,
                column_names=[v.name for v in pair.source_columns],
                emit=lambda d: found.append(d) is None,
            ).run(src.first_split(options.factor))
    return found


def _small(monkeypatch: pytest.MonkeyPatch, rng: random.Random) -> None:
    """Streams, fetches and segments small enough that every boundary is crossed."""
    monkeypatch.setattr(locate, "BATCH", rng.choice([1, 3, 17, 500]))
    monkeypatch.setattr(locate, "FETCH_KEYS", rng.choice([1, 4, 50]))
    monkeypatch.setattr(locate, "SEGMENT_ROWS", rng.choice([1, 8, 100, 10_000]))


@pytest.mark.parametrize("seed", range(16))
def test_random_changes_found_as_the_truth_and_the_bisection_find_them(
    make_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    rng = random.Random(seed)
    shape = SHAPES[seed % len(SHAPES)]
    used: set[tuple[Any, ...]] = set()
    rows = [_row(rng, shape.key(rng, used)) for _ in range(rng.choice([0, 1, 40, 700]))]
    source, target = make_db(), make_db()
    _fill(source, shape, rows)
    _fill(target, shape, _changed(rng, shape, rows))
    options = Options(factor=rng.choice([2, 4, 32]), threshold=rng.choice([1, 30, 1000]))
    truth = _truth(source, target, shape)

    _small(monkeypatch, rng)
    differences, result = _verify(source, target, options=options)
    assert _found(differences) == truth
    assert _found(_bisected(source, target, options)) == truth
    assert result.missing == sum(1 for f in truth if f[0] == "missing")
    assert result.extra == sum(1 for f in truth if f[0] == "extra")
    assert result.changed_rows == len({f[1] for f in truth if f[0] == "changed"})
    assert (result.source_rows, result.target_rows) == (
        len(_rows(source, shape)),
        len(_rows(target, shape)),
    )
    assert result.status == ("differs" if truth else "identical")
    # each changed row's columns come together, so the changed rows are counted right
    keys = [d.key for d in differences]
    assert all(keys.index(k) == i or keys[i - 1] == k for i, k in enumerate(keys))


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_max_diffs_stops_the_merge_with_that_many_differences(
    make_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch, shape: Shape
) -> None:
    rng = random.Random(99)
    used: set[tuple[Any, ...]] = set()
    rows = [_row(rng, shape.key(rng, used)) for _ in range(500)]
    source, target = make_db(), make_db()
    _fill(source, shape, rows)
    _fill(target, shape, rows[::2])  # every other row missing
    monkeypatch.setattr(locate, "BATCH", 10)
    monkeypatch.setattr(locate, "FETCH_KEYS", 7)
    differences, result = _verify(source, target, options=Options(max_diffs=25))
    truth = _truth(source, target, shape)
    assert len(differences) == 25
    assert all(f in truth for f in _found(differences))
    assert result.status == "differs"
    # in key order, as they were merged: an integer key's by number (its index's order,
    # not its text's: -2 before -10 there), any other by the bytes of its text
    texts = [tuple(d.key.values()) for d in differences if d.key]
    assert len(texts) == 25
    if shape.name == "integer":
        assert texts == sorted(texts, key=lambda k: int(k[0]))
        assert texts != sorted(texts)
    else:
        assert texts == sorted(texts)


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_scattered_changes_across_many_segments_named_exactly_reading_only_theirs(
    make_db: Callable[[], str], monkeypatch: pytest.MonkeyPatch, shape: Shape
) -> None:
    """Thousands of rows in hundreds of segments, a change in one segment of three, the
    first and last keys among them, keys beyond either end on the target: every change
    named, and only the differing segments' rows streamed."""
    rng = random.Random(7)
    used: set[tuple[Any, ...]] = set()
    rows = [_row(rng, shape.key(rng, used)) for _ in range(3000)]
    source, target = make_db(), make_db()
    _fill(source, shape, rows)
    with psycopg.connect(source) as conn:
        ordered = [r[0] for r in conn.execute(_KEY_ORDER[shape.name]).fetchall()]
    changed = set(ordered[0::30]) | {ordered[0], ordered[-1]}  # every 30th key in key order
    deleted = set(ordered[15::90])
    out = []
    for row in rows:
        k = row[0] if len(shape.key_cols) == 1 else (row[0], row[1])
        text = str(k) if len(shape.key_cols) == 1 else f"{k[0]}|{k[1]}"
        if text in deleted:
            continue
        values = list(row)
        if text in changed:
            values[len(shape.key_cols)] = "changed!"
        out.append(tuple(values))
    out.extend(_row(rng, shape.key(rng, used)) for _ in range(20))
    _fill(target, shape, out)
    monkeypatch.setattr(locate, "SEGMENT_ROWS", 10)
    monkeypatch.setattr(locate, "BATCH", 37)

    differences, result = _verify(source, target)
    assert _found(differences) == _truth(source, target, shape)
    assert len({tuple(d.key.values()) for d in differences}) > 50
    most = locate.MAX_SEGMENTS if shape.name in ("integer", "uuid") else 512
    assert result.segments > min(most, 150)  # far more than --factor's 32
    # rows of the differing segments only (about one in three), and the differing rows
    assert result.downloaded_rows < 0.8 * (result.source_rows + result.target_rows)


_KEY_ORDER = {
    "integer": "select id::text from item order by id",
    "uuid": "select id::text from item order by id",
    "text": "select id from item order by id",
    "composite": "select a::text || '|' || b from item order by a, b",
}
