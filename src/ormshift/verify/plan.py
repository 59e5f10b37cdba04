"""Which source table is compared with which target table, column for column.

Both sides are reflected (`ormshift.extract.database.reflect`); a mapping renames tables
and columns and says which columns a transfer transformed. A table whose columns do not
pair up, without a mapping that says how, cannot be verified and is reported as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ormshift.manifest import Column, Manifest, Table
from ormshift.mapping import Mapping, TableMapping
from ormshift.verify.checksum import TEXTS, ColumnView, kind_of
from ormshift.verify.model import VerifyError
from ormshift.verify.segments import KeySpec


@dataclass(frozen=True)
class TablePair:
    source: Table
    target: Table
    source_key: KeySpec
    target_key: KeySpec
    source_columns: tuple[ColumnView, ...]
    target_columns: tuple[ColumnView, ...]
    mapping: TableMapping
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def keyed(self) -> bool:
        return bool(self.source_key.columns)


def _names(cols: Sequence[str]) -> str:
    return ", ".join(cols[:5]) + (f" and {len(cols) - 5} more" if len(cols) > 5 else "")


def _binary(src: Column, tgt: Column, src_collation: str, tgt_collation: str) -> bool:
    """Order a text key by bytes when the two sides would sort it differently."""
    if src.type not in TEXTS and tgt.type not in TEXTS:
        return False
    return (src.collation or src_collation) != (tgt.collation or tgt_collation)


def _unique_source_key(
    src: Table, tgt: Table, tgt_to_src: dict[str, str]
) -> tuple[str, ...] | None:
    """The target's primary key, if the source holds it as a unique, non-null key too."""
    if tgt.primary_key is None or not all(c in tgt_to_src for c in tgt.primary_key.columns):
        return None
    key = tuple(tgt_to_src[c] for c in tgt.primary_key.columns)
    if any(src.column(c).nullable for c in key):
        return None
    unique = [u.columns for u in src.uniques] + [
        i.columns for i in src.indices if i.unique and not i.where
    ]
    return key if any(set(cols) == set(key) for cols in unique) else None


def pair_table(
    src: Table,
    tgt: Table,
    tm: TableMapping,
    *,
    source_collation: str = "",
    target_collation: str = "",
) -> TablePair:
    """The column-for-column pairing of two tables, or `VerifyError` saying why not."""
    by_target = {c.name: c for c in tgt.columns}
    # skipped source columns and computed target columns have nothing to compare with
    computed = {c.target for c in tm.computed()}
    ignored = set(tm.ignore) | set(tm.skip) | computed
    src_views: list[ColumnView] = []
    tgt_views: list[ColumnView] = []
    unmatched: list[str] = []
    used: set[str] = set()
    for col in src.columns:
        if col.name in ignored:
            continue
        cm = tm.column(col.name)
        other = by_target.get(cm.target)
        if other is None:
            unmatched.append(col.name)
            continue
        kind = kind_of(col, other, cm.transform)
        src_views.append(ColumnView(col, kind))
        tgt_views.append(ColumnView(other, kind))
        used.add(other.name)
    extra = [c.name for c in tgt.columns if c.name not in used and c.name not in ignored]
    if unmatched or extra:
        parts = []
        if unmatched:
            parts.append(f"source column(s) {_names(unmatched)} have no target column")
        if extra:
            parts.append(f"target column(s) {_names(extra)} have no source column")
        raise VerifyError(
            f"table {src.name}: " + " and ".join(parts) + "; give a --mapping that renames "
            "or ignores them"
        )
    warnings: list[str] = []
    if computed:
        warnings.append(
            f"table {src.name}: computed column(s) {_names(sorted(computed))} are not compared "
            "(the mapping makes them from an expression)"
        )
    src_to_tgt = {s.name: t.name for s, t in zip(src_views, tgt_views, strict=True)}
    tgt_to_src = {t: s for s, t in src_to_tgt.items()}
    if src.primary_key is not None and all(c in src_to_tgt for c in src.primary_key.columns):
        skey = src.primary_key.columns
    elif (key := _unique_source_key(src, tgt, tgt_to_src)) is not None:
        skey = key
    else:
        skey = ()
        warnings.append(
            f"table {src.name} has no primary key (nor a unique non-null key that is the "
            "target's primary key): compared as a whole by an ordered hash of every row "
            "(slower; differences have no key)"
        )
    tkey = tuple(src_to_tgt[c] for c in skey)
    binary = [
        _binary(src.column(s), tgt.column(t), source_collation, target_collation)
        for s, t in zip(skey, tkey, strict=True)
    ]
    # only text has a collation to override; uuid and the like already order by bytes
    sbin = tuple(b and src.column(c).type in TEXTS for b, c in zip(binary, skey, strict=True))
    tbin = tuple(b and tgt.column(c).type in TEXTS for b, c in zip(binary, tkey, strict=True))
    return TablePair(
        source=src,
        target=tgt,
        source_key=KeySpec(skey, sbin),
        target_key=KeySpec(tkey, tbin),
        source_columns=tuple(src_views),
        target_columns=tuple(tgt_views),
        mapping=tm,
        warnings=tuple(warnings),
    )


def select_tables(
    source: Manifest, target: Manifest, names: Sequence[str] | None, mapping: Mapping
) -> list[tuple[str, Table | None, Table | None]]:
    """(source name, source table, target table) for each table to verify, in name order."""
    src = {t.name: t for t in source.tables if t.kind == "table"}
    tgt = {t.name: t for t in target.tables if t.kind == "table"}
    wanted = sorted(names) if names else sorted(src)
    return [(n, src.get(n), tgt.get(mapping.table(n).target)) for n in wanted]


def target_only(source: Manifest, target: Manifest, mapping: Mapping) -> list[str]:
    """The target's tables that no source table is (or maps to), in name order."""
    covered = {mapping.table(t.name).target for t in source.tables if t.kind == "table"}
    return sorted(t.name for t in target.tables if t.kind == "table" and t.name not in covered)


def scope_problem(source: Manifest, names: Sequence[str] | None, schema: str | None) -> str | None:
    """Why a verification of ``names`` (all when None) of ``source`` would compare
    nothing or a table the source lacks; None when it compares something real.
    ``schema`` names the source's schema in the message (None: a source without)."""
    tables = sorted(t.name for t in source.tables if t.kind == "table")
    where = f"schema {schema!r} of the source" if schema else "the source"
    if not tables:
        hint = " or pass --schema" if schema else ""
        return f"{where} has no tables, so there is nothing to verify; check --source{hint}"
    missing = sorted(set(names or ()) - set(tables))
    if missing:
        shown = ", ".join(tables[:8]) + (f" and {len(tables) - 8} more" if len(tables) > 8 else "")
        return f"--table: {where} has no table {', '.join(map(repr, missing))}; it has {shown}"
    return None
