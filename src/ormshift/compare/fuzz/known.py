"""Divergences the documentation explains as intentional (docs/orm.md, "Intentional
differences"), told apart from the rest by the manifest, never by a corpus set's name.

One class is known so far: a many-to-many owned from both sides, two relations that
are each other's inverse and both declare ``@JoinTable`` with the same table. TypeORM
writes and deletes one side's junction rows through the other side's columns; ormshift
writes each side by its own. A divergence of a fuzzed step is that difference when

- its state differs in such junction tables only (``state remove Student: enrollment``);
- TypeORM fails on a foreign key of such a table (``23503`` naming the constraint)
  where ormshift succeeds (in a transaction: goes on to the transaction's own
  ``throw``); the state that step then leaves differs because TypeORM rolled the step
  back, and is part of the same difference.

Anything else, on the same step or with other tables in it, still counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ormshift.compare.fuzz.execute import Divergence
from ormshift.manifest import Manifest

__all__ = ["DOUBLY_OWNED", "KnownRules"]

#: where the doubly-owned junction difference is documented
DOUBLY_OWNED = 'docs/orm.md, "Intentional differences": a many-to-many owned from both sides'

#: ormshift's side of a step TypeORM failed: no error, or, in a transaction, the
#: scenario's deliberate `throw` after the step TypeORM failed at
_WENT_ON = (None, "ScenarioAbort")

_FK_ERROR = re.compile(r"^QueryFailedError:23503:(?P<name>\S+)$")


@dataclass(frozen=True)
class KnownRules:
    """The tables and constraints of the manifest's documented differences."""

    #: junction tables two mutually inverse many-to-many relations both own
    tables: frozenset[str] = frozenset()
    #: the foreign keys of those tables
    foreign_keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, manifest: Manifest) -> KnownRules:
        tables: set[str] = set()
        by_name = {e.name: e for e in manifest.entities}
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
                    inverse is not None
                    and inverse.owning
                    and inverse.inverse_property == rel.property_name
                    and inverse.junction_table == rel.junction_table
                ):
                    tables.add(rel.junction_table)
        keys = {fk.name for t in manifest.tables if t.name in tables for fk in t.foreign_keys}
        return cls(frozenset(tables), frozenset(keys))

    def note(self, found: Divergence, step: Sequence[Divergence]) -> str | None:
        """The documented difference ``found`` is (``step``: all divergences of its
        step), or None when it counts."""
        if not self.tables:
            return None
        if found.kind == "error" and self._junction_fk_error(found):
            return DOUBLY_OWNED
        if found.kind == "state":
            if _tables(found) <= self.tables:
                return DOUBLY_OWNED
            if any(d.kind == "error" and self._junction_fk_error(d) for d in step):
                return DOUBLY_OWNED
        return None

    def _junction_fk_error(self, found: Divergence) -> bool:
        ts, py = _error_kind(found.typeorm), _error_kind(found.ormshift)
        match = _FK_ERROR.match(ts or "")
        # ormshift without an error, or gone on to the transaction's own `throw` step
        return match is not None and match["name"] in self.foreign_keys and py in _WENT_ON


def _error_kind(outcome: Any) -> str | None:
    if isinstance(outcome, dict) and "kind" in outcome:
        return str(outcome["kind"])
    return None


def _tables(found: Divergence) -> frozenset[str]:
    """The tables a state divergence names (those whose digests differ)."""
    a = found.typeorm if isinstance(found.typeorm, dict) else {}
    b = found.ormshift if isinstance(found.ormshift, dict) else {}
    return frozenset(t for t in set(a) | set(b) if a.get(t) != b.get(t))
