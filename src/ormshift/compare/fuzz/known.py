"""Divergences the documentation explains as intentional (docs/orm.md, "Intentional
differences"), told apart from the rest by the manifest, never by a corpus set's name.

One class is known so far: a many-to-many owned from both sides, two relations that
are each other's inverse and both declare ``@JoinTable`` with the same table. TypeORM's
``RelationMetadata.registerJunctionEntityMetadata`` gives the inverse relation the
junction metadata it builds too, so the relation built first (the first of the two in
``ds.entityMetadatas``, the manifest's order) ends up with the other's junction, owner
and inverse columns swapped: its writes put the owner's key in the other side's
column. ormshift writes each side by its own columns. The relation
builder writes by the junction metadata too (``RelationUpdater`` / ``RelationRemover``
take ``junctionEntityMetadata.ownerColumns`` for the ``of`` side), so
``relation(Student, "courses").of(1).add(4)`` links student 4 to course 1 there.
A divergence of a fuzzed step is that difference only when the step writes through
that *shadowed* relation (a save of its entity giving the relation, a remove of its
entity, a query-builder chain ``relation(Entity, property)`` on it ending in a write,
or a transaction holding one), and

- its state differs in such junction tables only (``state remove Student: enrollment``);
- one side fails on a constraint of such a table (``23503`` on a foreign key, ``23505``
  on its primary key or a unique one: the swapped pair names no row, or a row already
  there) where the other succeeds (in a transaction: goes on to the transaction's own
  ``throw``) or fails on another such constraint; the state that step then leaves
  differs because the failing side rolled the step back, and is part of the same
  difference;
- in a failed transaction, the side that failed first (by the step each failure names)
  failing on such a constraint at a step that is such a write, the other failing at a
  later step or at the commit: what the other then met, the first never reached (where
  the steps are not reported, TypeORM failing on such a constraint at the transaction's
  first step, being such a write, where ormshift fails otherwise);
- in a transaction, what follows such a failure: the first place the two transactions'
  step results differ is one side's ``$error`` on such a constraint where the other
  went on (later steps then differ as an aborted transaction does), or, the failing
  write's error caught, one side's transaction fails with ``25P02`` (its next statement
  was refused) where the other's went on; and the state that step leaves.

A read is that difference when it loads the shadowed relation with
``relationLoadStrategy: "query"`` (at any depth of its ``relations``, in a transaction
too): TypeORM matches the ids it reads from the junction by the replaced junction
metadata (``RelationIdLoader.loadForManyToMany``), so the pairs come swapped; any
result difference of such a read is it.

In a transaction writing through the shadowed relation, a result difference is that
difference too when a step of it reads through either relation of the pair (a
``where`` or ``relations`` naming it: a relation count, a condition, a load), whose
rows the write left swapped.

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

#: a failure on a constraint: a foreign key (23503), a primary or unique key (23505)
_CONSTRAINT_ERROR = re.compile(r"^QueryFailedError:2350[35]:(?P<name>\S+)$")

#: the relation builder's writes
_RELATION_WRITES = frozenset({"add", "remove", "set", "addAndRemove"})

#: the Repository's reads
_READS = frozenset(
    {"find", "findBy", "findOne", "findOneBy", "findAndCount", "findAndCountBy", "count", "exists"}
)

#: TypeORM's next statement in a transaction its caught failure aborted
_ABORTED = re.compile(r"^QueryFailedError:25P02(:|$)")


@dataclass(frozen=True)
class KnownRules:
    """The tables and constraints of the manifest's documented differences."""

    #: junction tables two mutually inverse many-to-many relations both own
    tables: frozenset[str] = frozenset()
    #: the foreign keys, primary and unique keys of those tables
    constraints: frozenset[str] = frozenset()
    #: (entity, property) of each pair's relation built first, whose junction metadata
    #: TypeORM replaces by its inverse's
    shadowed: frozenset[tuple[str, str]] = frozenset()
    #: (entity, property, target entity) of every relation, to follow nested relations
    links: frozenset[tuple[str, str, str]] = frozenset()
    #: (entity, property) of both relations of each doubly-owned pair
    paired: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, manifest: Manifest) -> KnownRules:
        tables: set[str] = set()
        shadowed: set[tuple[str, str]] = set()
        paired: set[tuple[str, str]] = set()
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
                    paired.update(
                        {(entity.name, rel.property_name), (other.name, inverse.property_name)}
                    )
                    # junctions are built entity after entity, in this order; the
                    # later one is registered on both relations
                    if order[entity.name] < order[other.name] or (
                        entity.name == other.name and rel.property_name < inverse.property_name
                    ):
                        shadowed.add((entity.name, rel.property_name))
        keys: set[str] = set()
        for t in manifest.tables:
            if t.name in tables:
                keys |= {fk.name for fk in t.foreign_keys} | {u.name for u in t.uniques}
                if t.primary_key is not None:
                    keys.add(t.primary_key.name)
        links = frozenset(
            (e.name, r.property_name, r.target)
            for e in manifest.entities
            for r in e.relations
            if tables  # only where there is a pair to reach
        )
        return cls(
            frozenset(tables), frozenset(keys), frozenset(shadowed), links, frozenset(paired)
        )

    def note(
        self, found: Divergence, step: Sequence[Divergence], op: Mapping[str, Any]
    ) -> str | None:
        """The documented difference ``found`` is (``step``: all divergences of its
        step; ``op``: that step's operation as generated), or None when it counts."""
        if self.tables and found.kind == "result" and self._reads_shadowed(op):
            return DOUBLY_OWNED
        if (
            self.tables
            and found.kind == "result"
            and op.get("op") == "transaction"
            and self._writes_shadowed(op)
            and any(self._reads_junction(step) for step in _steps(op))
        ):
            # a later step reads the junction the transaction wrote swapped
            return DOUBLY_OWNED
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
        """``found`` is one side failing on the junction, or, in a transaction, what
        that failure makes of the rest of it."""
        if found.kind == "error":
            ts, py = _error_kind(found.typeorm), _error_kind(found.ormshift)
            if self._junction_failure(ts, py):
                return True
            if self._stopped_first_on_junction(found, op):
                return True
            if self._on_junction(ts) and py is not None and self._opens_with_shadowed(op):
                # TypeORM stopped at the transaction's first step, where ormshift went
                # on to fail later (or failed on that step otherwise): what ormshift
                # then met, TypeORM never reached
                return True
            return (
                op.get("op") == "transaction"
                and _aborted_against(ts, py)
                and self._caught_shadowed_write(op)
            )
        if found.kind == "result" and op.get("op") == "transaction":
            first = _first_difference(found.typeorm, found.ormshift)
            if first is None:
                return False
            ts, py = (_step_error(x) for x in first)
            return self._junction_failure(ts, py)
        return False

    def _stopped_first_on_junction(self, found: Divergence, op: Mapping[str, Any]) -> bool:
        """Both sides' transactions failed; the one that stopped first stopped on a
        junction constraint at a step writing through a shadowed relation, the other
        at a later step (or at its commit, which names none)."""
        if op.get("op") != "transaction":
            return False
        sides = ((found.typeorm, found.ormshift), (found.ormshift, found.typeorm))
        for first, other in sides:
            kind, step = _error_kind(first), _failed_step(first)
            if step is None or _error_kind(other) is None or not self._on_junction(kind):
                continue
            at = _step_at(op, step)
            later = _failed_step(other)
            if at is not None and self._writes_shadowed(at) and (later is None or later > step):
                return True
        return False

    def _on_junction(self, kind: str | None) -> bool:
        match = _CONSTRAINT_ERROR.match(kind or "")
        return match is not None and match["name"] in self.constraints

    def _junction_failure(self, ts: str | None, py: str | None) -> bool:
        """One side failed on a junction constraint where the other went on (no error,
        or on to the transaction's own `throw` step) or failed on another of them."""
        if self._on_junction(ts):
            return py in _WENT_ON or (self._on_junction(py) and py != ts)
        return self._on_junction(py) and ts in _WENT_ON

    def _writes_shadowed(self, op: Mapping[str, Any]) -> bool:
        """``op`` writes junction rows through a shadowed relation."""
        kind = op.get("op")
        args = op.get("args") or []
        if kind == "transaction":
            return any(self._writes_shadowed(s) for s in _steps(op))
        entity = op.get("entity")
        if kind == "remove":
            return any(e == entity for e, _ in self.shadowed)
        if kind == "qb":
            return self._relation_write(op)
        if kind == "save" and args:
            values = args[0] if isinstance(args[0], list) else [args[0]]
            return any(
                e == entity and isinstance(v, Mapping) and p in v
                for e, p in self.shadowed
                for v in values
            )
        return False

    def _reads_shadowed(self, op: Mapping[str, Any]) -> bool:
        """``op`` (or a step of it) loads a shadowed relation, at any depth of its
        ``relations``, with ``relationLoadStrategy: "query"``, whose relation ids TypeORM
        reads by the junction metadata too (``RelationIdLoader.loadForManyToMany``)."""
        kind = op.get("op")
        if kind == "transaction":
            return any(self._reads_shadowed(s) for s in _steps(op))
        options: Any = None
        if kind == "qb":
            chain = op.get("chain")
            for call in chain if isinstance(chain, list) else []:
                if isinstance(call, list) and len(call) > 1 and call[0] == "setFindOptions":
                    options = call[1]
        else:
            args = op.get("args") or []
            options = args[0] if args else None
        if not isinstance(options, Mapping) or options.get("relationLoadStrategy") != "query":
            return False
        return self._through_shadowed(op.get("entity"), options.get("relations"))

    def _reads_junction(self, op: Mapping[str, Any]) -> bool:
        """``op`` (or a step of it) is a read whose ``where`` or ``relations`` names a
        relation of a doubly-owned pair at its top."""
        if op.get("op") == "transaction":
            return any(self._reads_junction(s) for s in _steps(op))
        if op.get("op") not in _READS:
            return False
        args = op.get("args") or []
        options = args[0] if args and isinstance(args[0], Mapping) else {}
        named: set[Any] = set()
        for key in ("where", "relations"):
            value = options.get(key)
            for branch in value if isinstance(value, list) else [value]:
                if isinstance(branch, Mapping):
                    named |= set(branch)
        return any((op.get("entity"), name) in self.paired for name in named)

    def _through_shadowed(self, entity: Any, tree: Any) -> bool:
        if not isinstance(tree, Mapping):
            return False
        for prop, sub in tree.items():
            if (entity, prop) in self.shadowed:
                return True
            target = next((t for e, p, t in self.links if e == entity and p == prop), None)
            if target is not None and self._through_shadowed(target, sub):
                return True
        return False

    def _opens_with_shadowed(self, op: Mapping[str, Any]) -> bool:
        """The transaction ``op``'s first step (that of a nested transaction first)
        writes through a shadowed relation."""
        steps = _steps(op)
        if not steps:
            return False
        first = steps[0]
        if first.get("op") == "transaction":
            return self._opens_with_shadowed(first)
        return self._writes_shadowed(first)

    def _relation_write(self, op: Mapping[str, Any]) -> bool:
        """A query-builder chain writing through a shadowed relation
        (``relation(Entity, property).of(...).add(...)``)."""
        spec = op
        args = op.get("args") or []
        if "chain" not in op and args and isinstance(args[0], Mapping):
            spec = args[0]
        chain = spec.get("chain")
        if not isinstance(chain, list) or not chain:
            return False
        first, last = chain[0], chain[-1]
        if not (isinstance(first, list) and first and first[0] == "relation"):
            return False
        if not (isinstance(last, list) and last and last[0] in _RELATION_WRITES):
            return False
        given = first[1:]
        if len(given) == 2 and isinstance(given[0], Mapping):
            entity, prop = given[0].get("$entity"), given[1]
        elif len(given) == 1:
            entity, prop = op.get("entity"), given[0]
        else:
            return False
        return (entity, prop) in self.shadowed

    def _caught_shadowed_write(self, op: Mapping[str, Any]) -> bool:
        """A transaction (or one nested in it) has a step writing through a shadowed
        relation whose error is caught, so that the transaction goes on, aborted."""
        return any(
            self._caught_shadowed_write(s)
            if s.get("op") == "transaction"
            else bool(s.get("catch")) and self._writes_shadowed(s)
            for s in _steps(op)
        )


def _aborted_against(ts: str | None, py: str | None) -> bool:
    """One side's transaction failed with 25P02 (a caught failure aborted it) where the
    other's went on."""
    return (_ABORTED.match(ts or "") is not None and py in _WENT_ON) or (
        _ABORTED.match(py or "") is not None and ts in _WENT_ON
    )


def _steps(op: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A transaction operation's steps."""
    args = op.get("args") or []
    inner = args[0] if args and isinstance(args[0], list) else []
    return [s for s in inner if isinstance(s, Mapping)]


def _failed_step(outcome: Any) -> list[int] | None:
    """The step an error outcome names (``compare.diff.Outcome.step``)."""
    step = outcome.get("step") if isinstance(outcome, dict) else None
    return step if isinstance(step, list) else None


def _step_at(op: Mapping[str, Any], path: Sequence[int]) -> Mapping[str, Any] | None:
    """The step of transaction ``op`` at ``path`` (indices into nested transactions)."""
    at: Mapping[str, Any] = op
    for index in path:
        steps = _steps(at)
        if not 0 <= index < len(steps):
            return None
        at = steps[index]
    return at


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
