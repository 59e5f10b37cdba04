"""Which fuzzed divergences are documented differences (`compare.fuzz.known`): decided
from the manifest (a junction table two mutually inverse many-to-many relations both
own), and only the divergences that difference makes."""

from __future__ import annotations

import dataclasses

from ormshift.compare.fuzz.execute import Divergence
from ormshift.compare.fuzz.known import DOUBLY_OWNED, KnownRules
from ormshift.manifest import Manifest
from tests.golden.support import golden_manifest

JUNCTION_FK = "FK_dd1ce01d1164c8bbdda052ced74"  # a foreign key of enrollment


def _state(tables: dict[str, tuple[str, str]], index: int = 0) -> Divergence:
    ts = {t: a for t, (a, _) in tables.items()}
    py = {t: b for t, (_, b) in tables.items()}
    label = ", ".join(sorted(tables))
    return Divergence(index, "state", f"state save Student: {label}", ts, py)


def _error(typeorm: str | None, ormshift: str | None, index: int = 0) -> Divergence:
    def side(kind: str | None) -> dict[str, str]:
        return {"kind": kind, "error": "..."} if kind else {"result": "{}"}

    sig = f"error save Student: TypeORM {typeorm or 'no error'} / ormshift {ormshift or 'no error'}"
    return Divergence(index, "error", sig, side(typeorm), side(ormshift))


def _rules() -> KnownRules:
    return KnownRules.of(golden_manifest("junctions"))


def test_the_doubly_owned_junction_is_found_in_the_manifest() -> None:
    rules = _rules()
    assert rules.tables == {"enrollment"}
    assert JUNCTION_FK in rules.foreign_keys
    # photo_labels (Photo.labels owned on one side) and the playlist's junction are not
    assert all(t == "enrollment" for t in rules.tables)
    for other in ("blog", "library", "shop", "garage", "cms"):
        assert KnownRules.of(golden_manifest(other)) == KnownRules()


def _one_sided(manifest: Manifest) -> Manifest:
    """``manifest`` with Course.students no longer declaring the join table."""
    entities = []
    for e in manifest.entities:
        if e.name == "Course":
            rels = tuple(
                dataclasses.replace(r, owning=False, junction_table=None)
                if r.property_name == "students"
                else r
                for r in e.relations
            )
            entities.append(dataclasses.replace(e, relations=rels))
        else:
            entities.append(e)
    return dataclasses.replace(manifest, entities=tuple(entities))


def test_a_junction_owned_on_one_side_is_not_known() -> None:
    rules = KnownRules.of(_one_sided(golden_manifest("junctions")))
    assert rules.tables == frozenset()
    assert rules.note(_state({"enrollment": ("3:a", "3:b")}), []) is None


def test_state_of_the_junction_table_only_is_known() -> None:
    rules = _rules()
    found = _state({"enrollment": ("3:a", "3:b")})
    assert rules.note(found, [found]) == DOUBLY_OWNED
    # another table differing too counts
    wider = _state({"enrollment": ("3:a", "3:b"), "student": ("4:a", "4:b")})
    assert rules.note(wider, [wider]) is None
    other = _state({"photo_labels": ("1:a", "1:b")})
    assert rules.note(other, [other]) is None


def test_typeorm_failing_on_the_junction_foreign_key_is_known() -> None:
    rules = _rules()
    failed = _error(f"QueryFailedError:23503:{JUNCTION_FK}", None)
    assert rules.note(failed, [failed]) == DOUBLY_OWNED
    # in a transaction ormshift goes on to the scenario's own throw
    went_on = _error(f"QueryFailedError:23503:{JUNCTION_FK}", "ScenarioAbort")
    assert rules.note(went_on, [went_on]) == DOUBLY_OWNED
    # the state that step leaves (TypeORM rolled it back) goes with it
    after = _state({"enrollment": ("3:a", "4:b"), "student": ("4:a", "5:b")})
    assert rules.note(after, [failed, after]) == DOUBLY_OWNED
    # but not at another step
    later = _state({"enrollment": ("3:a", "4:b"), "student": ("4:a", "5:b")}, index=1)
    assert rules.note(later, [later]) is None


def test_other_errors_count() -> None:
    rules = _rules()
    cases = [
        _error("QueryFailedError:23503:FK_somewhere_else", None),  # another table's key
        _error(f"QueryFailedError:23503:{JUNCTION_FK}", "QueryFailedError"),  # both fail
        _error(None, f"QueryFailedError:23503:{JUNCTION_FK}"),  # ormshift fails
        _error("QueryFailedError:23505:", None),
    ]
    for found in cases:
        assert rules.note(found, [found]) is None, found.signature
    result = Divergence(0, "result", "result find Student: [].courses value differs", [], [])
    assert rules.note(result, [result]) is None
