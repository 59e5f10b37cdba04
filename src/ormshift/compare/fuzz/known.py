"""Divergences the documentation explains as intentional (docs/orm.md, "Intentional
differences"), told apart from the rest by the manifest, never by a corpus set's name.

One class is known so far: a many-to-many owned from both sides, two relations that
are each other's inverse and both declare ``@JoinTable`` with the same table. TypeORM's
``RelationMetadata.registerJunctionEntityMetadata`` gives the inverse relation the
junction metadata it builds too, so the relation built first (the first of the two in
``ds.entityMetadatas``, the manifest's order) ends up with the other's junction, owner
and inverse columns swapped: its writes put the owner's key in the other side's
column. ormshift writes each side by its own columns. A divergence of a fuzzed step is
that difference only when the step writes through that *shadowed* relation (a save of
its entity giving the relation, a remove of its entity, or a transaction holding
one), and

- its state differs in such junction tables only (``state remove Student: enrollment``);
- TypeORM fails on a foreign key of such a table (``23503`` naming the constraint)
  where ormshift succeeds (in a transaction: goes on to the transaction's own
  ``throw``); the state that step then leaves differs because TypeORM rolled the step
  back, and is part of the same difference;
- in a transaction, what follows such a failure: the first place the two transactions'
  step results differ is TypeORM's ``$error`` on such a foreign key where ormshift went
  on (later steps then differ as an aborted transaction does), or, the failing write's
  error caught, TypeORM's transaction fails with ``25P02`` (its next statement was
  refused) where ormshift's went on; and the state that step leaves.

Anything else, on the same step or with other tables in it, still counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ormshift.compare.fuzz.execute import Divergence
from ormshift.compare.normalize import canonical
from ormshift.manifest import Manifest

__all__ = ["DOUBLY_OWNED", "KnownRules"]

#: where the doubly-owned junction difference is documented
DOUBLY_OWNED = 'docs/orm.md, "Intentional differences": a many-to-many owned from both sides'

#: ormshift's side of a step TypeORM failed: no error, or, in a transaction, the
#: scenario's deliberate `throw` after the step TypeORM failed at
_WENT_ON = (None, "ScenarioAbort")

_FK_ERROR = re.compile(r"^QueryFailedError:23503:(?P<name>\S+)$")

#: TypeORM's next statement in a transaction its caught failure aborted
_ABORTED = re.compile(r"^QueryFailedError:25P02(:|$)")


@dataclass(frozen=True)
class KnownRules:
    """The tables and constraints of the manifest's documented differences."""

    #: junction tables two mutually inverse many-to-many relations both own
    tables: frozenset[str] = frozenset()
    #: the foreign keys of those tables
    foreign_keys: frozenset[str] = frozenset()
    #: (entity, property) of each pair's relation built first, whose junction metadata
    #: TypeORM replaces by its inverse's
    shadowed: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, manifest: Manifest) -> KnownRules:
        tables: set[str] = set()
        shadowed: set[tuple[str, str]] = set()
        by_name = {e.name: e for e in manifest.entities}
        order = {e.name: i for i, e in enumerate(manifest.entities)}
        for entity in manifest.entities:
            for rel in entity.relations:
                if rel.kind != "many-to-many" or not rel.owning or rel.junction_table is None:
                    continue
                other = by_name.get(rel.target)
                inverse = next(
                    (
                        r
                        for r in (other.relations if other else ())
                        if r.property_name == rel.inverse_property
                    ),
                    None,
                )
                if (
                    other is not None
                    and inverse is not None
                    and inverse.owning
                    and inverse.inverse_property == rel.property_name
                    and inverse.junction_table == rel.junction_table
                ):
                    tables.add(rel.junction_table)
                    # junctions are built entity after entity, in this order; the
                    # later one is registered on both relations
                    if order[entity.name] < order[other.name] or (
                        entity.name == other.name and rel.property_name < inverse.property_name
                    ):
                        shadowed.add((entity.name, rel.property_name))
        keys = {fk.name for t in manifest.tables if t.name in tables for fk in t.foreign_keys}
        return cls(frozenset(tables), frozenset(keys), frozenset(shadowed))

    def note(
        self, found: Divergence, step: Sequence[Divergence], op: Mapping[str, Any]
    ) -> str | None:
        """The documented difference ``found`` is (``step``: all divergences of its
        step; ``op``: that step's operation as generated), or None when it counts."""
        if not self.tables or not self._writes_shadowed(op):
            return None
        if self._causes(found, op):
            return DOUBLY_OWNED
        if found.kind == "state":
            if _tables(found) <= self.tables:
                return DOUBLY_OWNED
            if any(d.kind != "state" and self._causes(d, op) for d in step):
                return DOUBLY_OWNED
        return None

    def _causes(self, found: Divergence, op: Mapping[str, Any]) -> bool:
        """``found`` is TypeORM failing on the junction, or, in a transaction, what
        that failure makes of the rest of it."""
        if found.kind == "error":
            if self._junction_fk_error(found):
                return True
            ts, py = _error_kind(found.typeorm), _error_kind(found.ormshift)
            return (
                op.get("op") == "transaction"
                and _ABORTED.match(ts or "") is not None
                and py in _WENT_ON
                and self._caught_shadowed_write(op)
            )
        if found.kind == "result" and op.get("op") == "transaction":
            first = _first_difference(found.typeorm, found.ormshift)
            if first is None:
                return False
            ts, py = (_step_error(x) for x in first)
            match = _FK_ERROR.match(ts or "")
            return match is not None and match["name"] in self.foreign_keys and py in _WENT_ON
        return False

    def _junction_fk_error(self, found: Divergence) -> bool:
        ts, py = _error_kind(found.typeorm), _error_kind(found.ormshift)
        match = _FK_ERROR.match(ts or "")
        # ormshift without an error, or gone on to the transaction's own `throw` step
        return match is not None and match["name"] in self.foreign_keys and py in _WENT_ON

    def _writes_shadowed(self, op: Mapping[str, Any]) -> bool:
        """``op`` writes junction rows through a shadowed relation."""
        kind = op.get("op")
        args = op.get("args") or []
        if kind == "transaction":
            return any(self._writes_shadowed(s) for s in _steps(op))
        entity = op.get("entity")
        if kind == "remove":
            return any(e == entity for e, _ in self.shadowed)
        if kind == "save" and args:
            values = args[0] if isinstance(args[0], list) else [args[0]]
            return any(
                e == entity and isinstance(v, Mapping) and p in v
                for e, p in self.shadowed
                for v in values
            )
        return False

    def _caught_shadowed_write(self, op: Mapping[str, Any]) -> bool:
        """A transaction (or one nested in it) has a step writing through a shadowed
        relation whose error is caught, so that the transaction goes on, aborted."""
        return any(
            self._caught_shadowed_write(s)
            if s.get("op") == "transaction"
            else bool(s.get("catch")) and self._writes_shadowed(s)
            for s in _steps(op)
        )


def _steps(op: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A transaction operation's steps."""
    args = op.get("args") or []
    inner = args[0] if args and isinstance(args[0], list) else []
    return [s for s in inner if isinstance(s, Mapping)]


def _error_kind(outcome: Any) -> str | None:
    if isinstance(outcome, dict) and "kind" in outcome:
        return str(outcome["kind"])
    return None


def _step_error(result: Any) -> str | None:
    """The error kind of a transaction step's caught error (``{"$error": kind}``)."""
    if isinstance(result, Mapping) and set(result) == {"$error"}:
        return str(result["$error"])
    return None


def _first_difference(a: Any, b: Any) -> tuple[Any, Any] | None:
    """The first pair of a transaction's step results (nested transactions' too, in
    order) that differ."""
    if isinstance(a, list) and isinstance(b, list):
        for x, y in zip(a, b, strict=False):
            if canonical(x) != canonical(y):
                return _first_difference(x, y)
        return None if len(a) == len(b) else (a, b)
    return None if canonical(a) == canonical(b) else (a, b)


def _tables(found: Divergence) -> frozenset[str]:
    """The tables a state divergence names (those whose digests differ)."""
    a = found.typeorm if isinstance(found.typeorm, dict) else {}
    b = found.ormshift if isinstance(found.ormshift, dict) else {}
    return frozenset(t for t in set(a) | set(b) if a.get(t) != b.get(t))
