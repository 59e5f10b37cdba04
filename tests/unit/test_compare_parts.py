"""Normalisation, latency percentiles, scenario files and experiments, without a database."""

from __future__ import annotations

import datetime
import decimal
import random
from pathlib import Path
from typing import Any

import pytest

from ormshift.compare import ScenarioError, load_scenarios
from ormshift.compare.diff import Outcome, diff_outcomes, hidden_columns, typeorm_outcome
from ormshift.compare.errors import error_kind, error_kind_typeorm
from ormshift.compare.latency import Recorder, percentile, summarize
from ormshift.compare.normalize import VOLATILE, canonical, normalize_value
from ormshift.compare.scenario import Operation, ScenarioAbort, decode_args
from ormshift.experiment import Experiment, Observation, Result
from ormshift.orm import (
    EntityNotFound,
    FindOptionsError,
    OrmError,
    UniqueViolation,
    UnknownProperty,
    UnsupportedFindOptions,
    UpdateValuesMissing,
)
from ormshift.orm.operators import FindOperator

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_dates_decimals_and_volatile_values_normalise() -> None:
    naive = datetime.datetime(2024, 3, 1, 10, 0, 0, 123456)
    aware = datetime.datetime(
        2024, 3, 1, 11, 0, 0, 123999, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert normalize_value(naive) == "2024-03-01T10:00:00.123Z"
    assert normalize_value(aware) == "2024-03-01T10:00:00.123Z"
    assert normalize_value("2024-03-01T10:00:00.123Z") == "2024-03-01T10:00:00.123Z"
    assert normalize_value(decimal.Decimal("90.00")) == "90.00"
    assert normalize_value(
        {"createdAt": naive, "deletedAt": None}, frozenset({"createdAt", "deletedAt"})
    ) == {
        "createdAt": VOLATILE,
        "deletedAt": None,
    }


def test_lists_keep_order_only_when_ordered() -> None:
    assert normalize_value([{"id": 2}, {"id": 1}], ordered=True) == [{"id": 2}, {"id": 1}]
    assert normalize_value([{"id": 2}, {"id": 1}], ordered=False) == [{"id": 1}, {"id": 2}]
    nested = normalize_value([{"id": 1, "tags": [{"id": 3}, {"id": 2}]}], ordered=True)
    assert nested == [{"id": 1, "tags": [{"id": 2}, {"id": 3}]}]


def test_collections_a_find_orders_through_keep_their_order() -> None:
    """TypeORM reads a collection from the join its order makes: ``order: {tags: {...}}``
    decides the order of each entity's tags (and of tags below a to-one relation), and
    a findAndCount's entities come in order; other lists are compared as sets."""
    rows = [{"id": 1, "tags": [{"id": 3}, {"id": 2}], "notes": [{"id": 9}, {"id": 8}]}]
    op = Operation("find", "Post", [{"order": {"tags": {"id": "DESC"}, "id": "ASC"}}], "find")
    assert op.order_tree == {"tags": {"id": "DESC"}, "id": "ASC"}
    kept = normalize_value(rows, keep=op.order_tree)
    assert kept == [{"id": 1, "tags": [{"id": 3}, {"id": 2}], "notes": [{"id": 8}, {"id": 9}]}]
    below = normalize_value(
        [{"id": 1, "post": {"id": 4, "tags": [{"id": 3}, {"id": 2}]}}],
        keep={"post": {"tags": {"id": "DESC"}}},
    )
    assert below == [{"id": 1, "post": {"id": 4, "tags": [{"id": 3}, {"id": 2}]}}]
    counted = Operation("findAndCount", "Post", [{"order": {"id": "DESC"}}], "findAndCount")
    ts = typeorm_outcome(counted, True, [[{"id": 2}, {"id": 1}], 2], None, frozenset())
    assert ts.result == [[{"id": 2}, {"id": 1}], 2]
    other = typeorm_outcome(counted, True, [[{"id": 1}, {"id": 2}], 2], None, frozenset())
    assert diff_outcomes(ts, other) is not None
    query = Operation(
        "find", "Post", [{"order": {"tags": {"id": "ASC"}}, "relationLoadStrategy": "query"}], "f"
    )
    assert query.order_tree is None


def test_a_key_only_one_side_has_is_a_difference() -> None:
    ts = Outcome(result=[{"id": 1, "author": {"id": 2}}])
    py = Outcome(result=[{"id": 1, "author": {"id": 2}, "subject": None}])
    assert diff_outcomes(ts, py) == ("result", ts.result, py.result)
    assert diff_outcomes(py, ts) is not None
    assert diff_outcomes(ts, Outcome(result=[{"author": {"id": 2}, "id": 1}])) is None
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})


def test_only_join_columns_no_entity_of_the_table_names_are_hidden() -> None:
    described = {
        "Post": {"table": "post", "properties": ["id", "author"], "joinColumns": ["authorId"]},
        "Person": {"table": "person", "properties": ["id", "deskId"], "joinColumns": []},
        "Teacher": {"table": "person", "properties": ["id", "desk"], "joinColumns": ["deskId"]},
    }
    assert hidden_columns(described) == {"post": frozenset({"authorId"}), "person": frozenset()}


def test_errors_differ_by_kind_not_by_message() -> None:
    a = Outcome(error="EntityNotFoundError", detail="a")
    assert diff_outcomes(a, Outcome(error="EntityNotFoundError", detail="b")) is None
    found = diff_outcomes(a, Outcome(error="TypeORMError", detail="c"))
    assert found is not None and found[0] == "error"
    found = diff_outcomes(a, Outcome(result=None))
    assert found is not None and found[2] == {"result": None}


def test_the_same_error_at_another_step_differs() -> None:
    """A transaction failing with the same error one step earlier on one side: that
    side refused a step the other let through."""
    a = Outcome(error="QueryFailedError:23505:PK_x", detail="a", step=[1, 0])
    assert diff_outcomes(a, Outcome(error=a.error, detail="b", step=[1, 0])) is None
    found = diff_outcomes(a, Outcome(error=a.error, detail="b", step=[2]))
    assert found is not None and found[0] == "error"
    assert (found[1]["step"], found[2]["step"]) == ([1, 0], [2])
    at_commit = diff_outcomes(a, Outcome(error=a.error, detail="b"))
    assert at_commit is not None and "step" not in at_commit[2]


def test_percentiles_and_summary() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert percentile(samples, 50) == pytest.approx(50.5)
    assert percentile(samples, 99) == pytest.approx(99.01)
    assert percentile([7.0], 95) == 7.0
    summary = summarize([1.0, 1.0, 2.0])
    assert summary.count == 3 and summary.p50 == 1.0
    assert summary.ops_per_second == pytest.approx(750.0)
    rec = Recorder()
    rec.add("typeorm", "find", 1.0)
    rec.add("ormshift", "find", 2.0)
    assert set(rec.summary()["find"]) == {"typeorm", "ormshift"}


def test_error_kinds_line_up() -> None:
    assert error_kind(
        UniqueViolation("x", sqlstate="23505", constraint="UQ_1")
    ) == error_kind_typeorm({"name": "QueryFailedError", "code": "23505", "constraint": "UQ_1"})
    assert error_kind(UnknownProperty("x")) == error_kind_typeorm(
        {"name": "EntityPropertyNotFoundError"}
    )
    assert error_kind(EntityNotFound("Post", {})) == error_kind_typeorm(
        {"name": "EntityNotFoundError"}
    )
    assert error_kind(FindOptionsError("x")) == error_kind_typeorm({"name": "TypeORMError"})
    # no catch-all: what the table does not name is its own kind on each side
    assert error_kind(KeyError("x")) == "ormshift:KeyError"
    assert error_kind(OrmError("x")) == "ormshift:OrmError"
    assert error_kind_typeorm({"name": "UpdateValuesMissingError"}) != error_kind(
        FindOptionsError("x")
    )
    # TypeORM's plain Error is ormshift's UnsupportedFindOptions, and only that
    assert error_kind_typeorm({"name": "Error"}) == error_kind(UnsupportedFindOptions("x"))
    assert error_kind_typeorm({"name": "Error"}) != error_kind(FindOptionsError("x"))
    assert error_kind_typeorm({"name": "UpdateValuesMissingError"}) == error_kind(
        UpdateValuesMissing("x")
    )
    assert error_kind_typeorm({"name": "RangeError"}) == "typeorm:RangeError"
    assert error_kind(ScenarioAbort()) == error_kind_typeorm({"name": "ScenarioAbort"})
    # a listener's TypeError on an undefined property is a TypeError on both sides
    assert error_kind(TypeError("x")) == error_kind_typeorm({"name": "TypeError"})


def test_operators_decode_from_json() -> None:
    decoded = decode_args([{"where": {"n": {"$op": "Not", "value": {"$op": "In", "value": [1]}}}}])
    op = decoded[0]["where"]["n"]
    assert isinstance(op, FindOperator) and op.kind == "not" and op.value.kind == "in"
    raw = decode_args({"$op": "Raw", "sql": "{alias} > :n", "params": {"n": 1}})
    assert raw.kind == "raw" and raw.params == {"n": 1}
    with pytest.raises(ScenarioError, match="unknown operator"):
        decode_args({"$op": "Nope"})


def test_javascript_values_decode() -> None:
    decoded = decode_args(
        [
            {
                "at": {"$date": "2024-01-02T03:04:05.006Z"},
                "b": {"$bytes": "00ff"},
                "u": {"$undefined": True},
            }
        ]
    )
    assert decoded == [
        {"at": datetime.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=datetime.UTC), "b": b"\x00\xff"}
    ]
    assert decode_args([{"$undefined": True}]) == [None]
    where = decode_args({"$op": "In", "value": [{"$date": "2024-01-01T00:00:00Z"}]})
    assert list(where.value) == [datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)]


def test_the_shipped_scenarios_load() -> None:
    blog = load_scenarios(SCENARIOS / "blog.yaml")
    assert blog.models == "tests.models.blog" and blog.seed
    ops = {op.op for s in blog.scenarios for op in s.operations}
    assert {"find", "save", "upsert", "softRemove", "transaction", "query"} <= ops


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "'scenarios' list"),
        ("scenarios: [{name: a, operations: []}]", "non-empty"),
        ("scenarios: [{operations: [{op: frobnicate, entity: Post}]}]", "unknown operation"),
        ("scenarios: [{operations: [{op: find}]}]", "needs 'entity'"),
        ("scenarios: [{operations: [{op: find, entity: P, args: {}}]}]", "must be a list"),
        ("seed: 3\nscenarios: [{operations: [{op: find, entity: P}]}]", "'seed'"),
        ("scenarios: [", "not valid YAML"),
    ],
)
def test_bad_scenario_files_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenarios(path)


# -- Experiment -----------------------------------------------------------------------


def _published() -> tuple[list[Result], Any]:
    results: list[Result] = []
    return results, results.append


def test_control_value_is_returned_and_mismatch_published() -> None:
    results, publish = _published()
    exp: Experiment[int] = Experiment("e", rng=random.Random(1)).use(lambda: 1).candidate(lambda: 2)
    assert exp.publish(publish).context(user=7).run() == 1
    (result,) = results
    assert not result.matched and result.context == {"user": 7}
    assert result.control.value == 1 and result.mismatched[0].value == 2
    assert set(result.order) == {"control", "candidate"}
    assert result.control.wall_seconds >= 0 and result.control.cpu_seconds >= 0


def test_order_is_shuffled() -> None:
    orders = set()
    for seed in range(20):
        results, publish = _published()
        exp: Experiment[int] = Experiment("e", rng=random.Random(seed)).use(lambda: 1)
        exp.candidate(lambda: 1, "a").candidate(lambda: 1, "b").publish(publish).run()
        orders.add(results[0].order)
    assert len(orders) > 1


def test_compare_clean_and_ignore() -> None:
    results, publish = _published()
    exp: Experiment[dict[str, int]] = Experiment("e").use(lambda: {"id": 1, "t": 5})
    exp.candidate(lambda: {"id": 1, "t": 6}).clean(lambda v: v["id"]).publish(publish).run()
    assert results[0].matched and results[0].control.cleaned == 1
    results2, publish2 = _published()
    exp2: Experiment[int] = Experiment("e").use(lambda: 1).candidate(lambda: 2)
    exp2.compare(lambda a, b: abs(a - b) <= 1).publish(publish2).run()
    assert results2[0].matched
    results3, publish3 = _published()
    exp3: Experiment[int] = Experiment("e").use(lambda: 1).candidate(lambda: 3)
    exp3.ignore(lambda c, k: k.value == 3).publish(publish3).run()
    assert results3[0].matched and len(results3[0].ignored) == 1


def test_control_exception_is_raised_and_candidate_exception_recorded() -> None:
    results, publish = _published()

    def boom() -> int:
        raise ValueError("control failed")

    exp: Experiment[int] = Experiment("e").use(boom).candidate(lambda: 1).publish(publish)
    with pytest.raises(ValueError, match="control failed"):
        exp.run()
    assert results[0].control.raised and results[0].mismatched
    results2, publish2 = _published()
    exp2: Experiment[int] = (
        Experiment("e").use(lambda: 5).candidate(lambda: 1 / 0).publish(publish2)
    )
    assert exp2.run() == 5
    assert isinstance(results2[0].candidates[0].exception, ZeroDivisionError)
    assert [e.operation for e in exp2.harness_errors] == ["candidate"]


def test_harness_failures_never_break_the_control() -> None:
    def bad_publish(_: Result) -> None:
        raise RuntimeError("publisher down")

    def bad_compare(a: Any, b: Any) -> bool:
        raise RuntimeError("comparator bug")

    exp: Experiment[int] = Experiment("e").use(lambda: 4).candidate(lambda: 4)
    exp.compare(bad_compare).clean(lambda v: 1 // 0).publish(bad_publish)
    assert exp.run() == 4
    ops = {e.operation for e in exp.harness_errors}
    assert {"publish", "clean"} <= ops


def test_run_if_gates_candidates() -> None:
    ran: list[str] = []
    exp: Experiment[int] = Experiment("e").use(lambda: ran.append("c") or 1)
    exp.candidate(lambda: ran.append("k") or 1).run_if(lambda: False)
    assert exp.run() == 1 and ran == ["c"]

    def broken_gate() -> bool:
        raise RuntimeError("flag store down")

    exp2: Experiment[int] = Experiment("e").use(lambda: 2).candidate(lambda: 3).run_if(broken_gate)
    assert exp2.run() == 2 and exp2.harness_errors[0].operation == "run_if"


def test_observations_are_frozen() -> None:
    obs = Observation("x", 1, None, 0.1, 0.1)
    with pytest.raises(AttributeError):
        obs.value = 2  # type: ignore[misc]


def test_a_transaction_keeps_its_step_order() -> None:
    steps = [{"op": "count", "entity": "Tag"}, {"op": "count", "entity": "Post"}]
    assert Operation("transaction", None, [steps], "t").ordered
    assert not Operation("find", "Tag", [{}], "f").ordered
    assert Operation("find", "Tag", [{"order": {"id": "ASC"}}], "f").ordered
