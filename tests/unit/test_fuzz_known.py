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

#: a step writing through Student.courses, the relation TypeORM gives Course.students'
#: junction metadata
SAVE = {"op": "save", "entity": "Student", "args": [{"courses": [{"id": 3}]}]}


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
    # Student comes first in the manifest (ds.entityMetadatas): its relation is built
    # first and ends up with Course.students' junction metadata
    assert rules.shadowed == {("Student", "courses")}
    assert JUNCTION_FK in rules.constraints
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
    assert rules.note(_state({"enrollment": ("3:a", "3:b")}), [], SAVE) is None


def test_state_of_the_junction_table_only_is_known() -> None:
    rules = _rules()
    found = _state({"enrollment": ("3:a", "3:b")})
    assert rules.note(found, [found], SAVE) == DOUBLY_OWNED
    # another table differing too counts
    wider = _state({"enrollment": ("3:a", "3:b"), "student": ("4:a", "4:b")})
    assert rules.note(wider, [wider], SAVE) is None
    other = _state({"photo_labels": ("1:a", "1:b")})
    assert rules.note(other, [other], SAVE) is None


def test_typeorm_failing_on_the_junction_foreign_key_is_known() -> None:
    rules = _rules()
    failed = _error(f"QueryFailedError:23503:{JUNCTION_FK}", None)
    assert rules.note(failed, [failed], SAVE) == DOUBLY_OWNED
    # in a transaction ormshift goes on to the scenario's own throw
    went_on = _error(f"QueryFailedError:23503:{JUNCTION_FK}", "ScenarioAbort")
    assert rules.note(went_on, [went_on], SAVE) == DOUBLY_OWNED
    # the state that step leaves (TypeORM rolled it back) goes with it
    after = _state({"enrollment": ("3:a", "4:b"), "student": ("4:a", "5:b")})
    assert rules.note(after, [failed, after], SAVE) == DOUBLY_OWNED
    # but not at another step
    later = _state({"enrollment": ("3:a", "4:b"), "student": ("4:a", "5:b")}, index=1)
    assert rules.note(later, [later], SAVE) is None


def test_other_errors_count() -> None:
    rules = _rules()
    cases = [
        _error("QueryFailedError:23503:FK_somewhere_else", None),  # another table's key
        _error(f"QueryFailedError:23503:{JUNCTION_FK}", "QueryFailedError"),  # both fail
        _error(None, "QueryFailedError:23503:FK_somewhere_else"),  # ormshift, elsewhere
        _error("QueryFailedError:23505:", None),
    ]
    for found in cases:
        assert rules.note(found, [found], SAVE) is None, found.signature
    result = Divergence(0, "result", "result find Student: [].courses value differs", [], [])
    assert rules.note(result, [result], SAVE) is None


def test_only_steps_writing_through_the_shadowed_relation_are_known() -> None:
    """TypeORM's Course.students keeps its own junction metadata: Course's writes must
    agree, and so must a Student step that writes no junction rows."""
    rules = _rules()
    found = _state({"enrollment": ("3:a", "3:b")})
    failed = _error(f"QueryFailedError:23503:{JUNCTION_FK}", None)
    others = [
        {"op": "save", "entity": "Course", "args": [{"students": [{"id": 3}]}]},
        {"op": "remove", "entity": "Course", "args": [{"id": 3}]},
        {"op": "save", "entity": "Student", "args": [{"id": 3}]},
        {"op": "insert", "entity": "Student", "args": [{}]},
        {
            "op": "transaction",
            "args": [[{"op": "remove", "entity": "Course", "args": [{"id": 1}]}]],
        },
    ]
    for op in others:
        assert rules.note(found, [found], op) is None, op
        assert rules.note(failed, [failed], op) is None, op
    for op in (
        {"op": "remove", "entity": "Student", "args": [{"id": 2}]},
        {"op": "save", "entity": "Student", "args": [[{"id": 1}, {"courses": []}]]},
        {"op": "transaction", "args": [[{"op": "transaction", "args": [[SAVE]]}]]},
    ):
        assert rules.note(found, [found], op) == DOUBLY_OWNED, op


def _transaction_error(typeorm: str, ormshift: str | None) -> Divergence:
    side = {"kind": typeorm, "error": "..."}
    other = {"kind": ormshift, "error": "..."} if ormshift else {"result": "[]"}
    sig = f"error transaction: TypeORM {typeorm} / ormshift {ormshift or 'no error'}"
    return Divergence(0, "error", sig, side, other)


def test_a_transaction_aborted_by_the_caught_junction_failure_is_known() -> None:
    """TypeORM's save through Student.courses fails on the junction's foreign key, its
    error is caught, and the transaction's next statement is refused (25P02); ormshift's
    save succeeded and its transaction went on (fuzz seed 1, 20000 operations)."""
    rules = _rules()
    op = {
        "op": "transaction",
        "args": [[{**SAVE, "catch": True}, {"op": "insert", "entity": "Song", "args": [{}]}]],
    }
    aborted = _transaction_error("QueryFailedError:25P02:", None)
    assert rules.note(aborted, [aborted], op) == DOUBLY_OWNED
    after = _state({"enrollment": ("3:a", "4:b"), "song": ("1:a", "2:b"), "student": ("1", "2")})
    assert rules.note(after, [aborted, after], op) == DOUBLY_OWNED
    # the junction write's error not caught: TypeORM's transaction fails with its 23503
    uncaught = {"op": "transaction", "args": [[SAVE, {"op": "insert", "entity": "Song"}]]}
    assert rules.note(aborted, [aborted], uncaught) is None
    # a caught write that is not through the shadowed relation
    course = {"op": "save", "entity": "Course", "args": [{"students": [{"id": 9}]}], "catch": True}
    other = {"op": "transaction", "args": [[SAVE, course, {"op": "insert", "entity": "Song"}]]}
    assert rules.note(aborted, [aborted], other) is None
    # ormshift failing too, with another error, counts
    both = _transaction_error("QueryFailedError:25P02:", "QueryFailedError:23505:")
    assert rules.note(both, [both], op) is None


def test_a_nested_transaction_failing_on_the_junction_is_known_first_only() -> None:
    """A caught nested transaction: TypeORM's fails on the junction's foreign key, where
    ormshift's goes on to the scenario's throw. Only when that is the first step result
    the two transactions differ at."""
    rules = _rules()
    op = {
        "op": "transaction",
        "args": [[{"op": "transaction", "args": [[SAVE, {"op": "throw"}]], "catch": True}]],
    }
    fk = {"$error": f"QueryFailedError:23503:{JUNCTION_FK}"}
    nested = Divergence(
        0,
        "result",
        "result transaction > transaction: [].$error value differs",
        [fk],
        [{"$error": "ScenarioAbort"}],
    )
    assert rules.note(nested, [nested], op) == DOUBLY_OWNED
    # later steps echo the abort: known as long as the junction failure comes first
    echoed = Divergence(
        0,
        "result",
        "result transaction > transaction: [].$error value differs",
        [fk, {"$error": "QueryFailedError:25P02:"}],
        [{"$error": "ScenarioAbort"}, 3],
    )
    assert rules.note(echoed, [echoed], op) == DOUBLY_OWNED
    # an earlier step differing first counts
    earlier = Divergence(
        0,
        "result",
        "result transaction > find Student: [].id value differs",
        [[{"id": 1}], fk],
        [[{"id": 2}], {"$error": "ScenarioAbort"}],
    )
    assert rules.note(earlier, [earlier], op) is None
    # ormshift failing with another error counts
    other = Divergence(
        0,
        "result",
        "result transaction > transaction: [].$error value differs",
        [fk],
        [{"$error": "QueryFailedError:23505:"}],
    )
    assert rules.note(other, [other], op) is None


JUNCTION_PK = "PK_910a2a681d04669f6d7dc4132ba"  # enrollment's primary key

#: relation(Student, "courses").of(5).addAndRemove([6], [1]): the relation builder writes
#: by the junction metadata too (RelationUpdater), so through Student.courses swapped
RELATION_WRITE = {
    "op": "qb",
    "chain": [
        ["relation", {"$entity": "Student"}, "courses"],
        ["of", {"id": 5}],
        ["addAndRemove", [6], [1]],
    ],
}


def test_a_relation_builder_write_through_the_shadowed_relation_is_known() -> None:
    rules = _rules()
    state = _state({"enrollment": ("3:a", "3:b")})
    assert rules.note(state, [state], RELATION_WRITE) == DOUBLY_OWNED
    # ormshift's pair is already there, TypeORM's swapped one is not (and the mirror)
    for found in (
        _error(None, f"QueryFailedError:23505:{JUNCTION_PK}"),
        _error(f"QueryFailedError:23505:{JUNCTION_PK}", None),
        _error(f"QueryFailedError:23503:{JUNCTION_FK}", f"QueryFailedError:23505:{JUNCTION_PK}"),
    ):
        assert rules.note(found, [found], RELATION_WRITE) == DOUBLY_OWNED, found.signature
    # in a transaction, as a step
    step = {"op": "qb", "entity": None, "alias": None, "chain": RELATION_WRITE["chain"]}
    inside = {"op": "transaction", "args": [[step]]}
    assert rules.note(state, [state], inside) == DOUBLY_OWNED


def test_other_relation_builder_chains_count() -> None:
    rules = _rules()
    state = _state({"enrollment": ("3:a", "3:b")})
    chain = RELATION_WRITE["chain"]
    others = [
        # Course.students keeps its own junction metadata
        {"op": "qb", "chain": [["relation", {"$entity": "Course"}, "students"], *chain[1:]]},
        # a load writes nothing
        {"op": "qb", "chain": [*chain[:2], ["loadMany"]]},
        {"op": "qb", "chain": [["insert"], ["into", {"$entity": "Student"}], ["execute"]]},
    ]
    for op in others:
        assert rules.note(state, [state], op) is None, op
    other_table = _error(None, "QueryFailedError:23505:PK_somewhere_else")
    assert rules.note(other_table, [other_table], RELATION_WRITE) is None


def test_a_transaction_typeorm_stops_at_its_first_step_is_known() -> None:
    """TypeORM fails on the junction at the transaction's first step; ormshift, having
    written by its own columns, goes on and fails at a later step TypeORM never ran."""
    rules = _rules()
    later = {"op": "find", "entity": "Playlist", "args": [{"order": {"songs": {"id": "ASC"}}}]}
    opens = {"op": "transaction", "args": [[SAVE, later]]}
    found = _error(f"QueryFailedError:23503:{JUNCTION_FK}", "QueryFailedError:42703:")
    assert rules.note(found, [found], opens) == DOUBLY_OWNED
    # a step before the shadowed write could be where ormshift failed: it counts
    behind = {"op": "transaction", "args": [[later, SAVE]]}
    assert rules.note(found, [found], behind) is None
    # and TypeORM failing elsewhere counts
    other = _error("QueryFailedError:23503:FK_somewhere_else", "QueryFailedError:42703:")
    assert rules.note(other, [other], opens) is None


def _failed_at(
    typeorm: tuple[str, list[int] | None], ormshift: tuple[str, list[int] | None]
) -> Divergence:
    """Both transactions failed: each side's error kind and the step it names."""

    def side(kind: str, step: list[int] | None) -> dict[str, object]:
        out: dict[str, object] = {"kind": kind, "error": "..."}
        if step is not None:
            out["step"] = step
        return out

    sig = f"error transaction: TypeORM {typeorm[0]} / ormshift {ormshift[0]}"
    return Divergence(0, "error", sig, side(*typeorm), side(*ormshift))


def test_the_side_that_stops_first_on_the_junction_is_known_by_its_step() -> None:
    """Whichever step the shadowed write is: the side stopping there on the junction,
    the other failing at a later step (or at its commit, naming no step)."""
    rules = _rules()
    find = {"op": "find", "entity": "Playlist", "args": [{}]}
    nested = {"op": "transaction", "args": [[find, SAVE]]}
    op = {"op": "transaction", "args": [[find, nested, find]]}
    junction = f"QueryFailedError:23503:{JUNCTION_FK}"
    later = _failed_at((junction, [1, 1]), ("QueryFailedError:42703:", [2]))
    assert rules.note(later, [later], op) == DOUBLY_OWNED
    at_commit = _failed_at((junction, [1, 1]), ("QueryFailedError:23505:PK_x", None))
    assert rules.note(at_commit, [at_commit], op) == DOUBLY_OWNED
    # ormshift stopping first there (its own columns hitting the junction's key)
    mirrored = _failed_at(("QueryFailedError:42703:", [2]), (junction, [1, 1]))
    assert rules.note(mirrored, [mirrored], op) == DOUBLY_OWNED
    # the other side failing before the shadowed write counts
    before = _failed_at((junction, [1, 1]), ("QueryFailedError:42703:", [0]))
    assert rules.note(before, [before], op) is None
    # the step named is not the shadowed write: counts
    elsewhere = _failed_at((junction, [0]), ("QueryFailedError:42703:", [2]))
    assert rules.note(elsewhere, [elsewhere], op) is None
    # a failure on another constraint at the shadowed write counts
    other = _failed_at(("QueryFailedError:23503:FK_x", [1, 1]), ("QueryFailedError:42703:", [2]))
    assert rules.note(other, [other], op) is None


def _result(label: str) -> Divergence:
    return Divergence(0, "result", label, [{"id": 1, "courses": []}], [{"id": 1, "courses": [{}]}])


def test_a_query_strategy_read_through_the_shadowed_relation_is_known() -> None:
    """TypeORM matches the junction's ids by the replaced junction metadata when the
    relation is loaded by the query strategy: at any depth of ``relations``."""
    rules = _rules()
    found = _result("result find Student: [].courses")
    direct = {"relations": {"courses": True}, "relationLoadStrategy": "query"}
    nested = {"relations": {"students": {"courses": True}}, "relationLoadStrategy": "query"}
    joined = {"relations": {"courses": True}}  # the join strategy reads right
    other = {"relations": {"students": True}, "relationLoadStrategy": "query"}
    find = {"op": "find", "entity": "Student", "args": [direct]}
    assert rules.note(found, [found], find) == DOUBLY_OWNED
    assert rules.note(found, [found], {"op": "find", "entity": "Course", "args": [nested]}) == (
        DOUBLY_OWNED
    )
    in_tx = {"op": "transaction", "args": [[find]]}
    assert rules.note(found, [found], in_tx) == DOUBLY_OWNED
    assert rules.note(found, [found], {"op": "find", "entity": "Student", "args": [joined]}) is None
    assert rules.note(found, [found], {"op": "find", "entity": "Course", "args": [other]}) is None


def test_a_read_of_the_junction_after_a_swapped_write_in_a_transaction_is_known() -> None:
    """A transaction that writes through the shadowed relation and then reads through
    either relation of the pair (a count, a condition) reads the swapped rows."""
    rules = _rules()
    found = _result("result transaction > find Course: []")
    count = {
        "op": "find",
        "entity": "Course",
        "args": [{"where": {"students": {"$op": "LessThan", "value": 1}}}],
    }
    plain = {"op": "find", "entity": "Course", "args": [{"where": {"title": "x"}}]}
    assert rules.note(found, [found], {"op": "transaction", "args": [[SAVE, count]]}) == (
        DOUBLY_OWNED
    )
    # no write through the shadowed relation, or no read through the pair: it counts
    assert rules.note(found, [found], {"op": "transaction", "args": [[count]]}) is None
    assert rules.note(found, [found], {"op": "transaction", "args": [[SAVE, plain]]}) is None
