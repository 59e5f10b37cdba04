"""Listeners, subscribers and value transformers against real TypeORM.

`tests/scenarios/hooks.yaml` runs on `tests/corpus/hooks` through TypeORM and through
`ormshift.orm` with `tests/models/hooks` (the package `ormshift generate` writes, its
stubs ported by hand). The subscribers log every event into a table that every write
compares, so the events, their order and what they carry must agree with TypeORM's.
While it runs, the Python side records which events, listeners and transformers were
called, so that the suite is shown to reach every one of them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ormshift.compare import run_compare
from ormshift.compare.scenario import load_scenarios
from ormshift.orm.listeners import LISTENER_EVENTS, EntitySubscriber, listeners_of
from tests.conftest import CORPUS
from tests.models import hooks as models
from tests.models.hooks import subscribers, transformers

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hooks.yaml"
OPERATIONS = 88
SUBSCRIBER_EVENTS = {
    name for name in vars(EntitySubscriber) if not name.startswith("_") and name != "listen_to"
}
#: operators whose values go through a column's transformers
OPERATORS = {"In", "Equal", "Not", "IsNull", "Like", "ILike", "Between", "MoreThan"}


def _ops(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$op"]} if isinstance(value.get("$op"), str) else set()
        return found.union(*(_ops(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_ops(v) for v in value))
    return set()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every subscriber event, listener and transformer method the Python side calls."""
    seen: Counter[str] = Counter()
    log = subscribers._log

    def logged(manager: Any, event: str, entity: str | None, detail: str | None) -> None:
        seen[f"event:{event}"] += 1
        log(manager, event, entity, detail)

    monkeypatch.setattr(subscribers, "_log", logged)
    for cls in (models.Account, models.Entry):
        for event, names in listeners_of(cls).items():
            for name in names:
                monkeypatch.setattr(cls, name, _counted(getattr(cls, name), event, seen))
    for name in ("TrimTransformer", "JsonTextTransformer", "SuffixTransformer"):
        cls = getattr(transformers, name)
        for method in ("to_database", "from_database"):
            monkeypatch.setattr(cls, method, _counted(getattr(cls, method), method, seen, name))
    return seen


def _counted(fn: Any, event: str, seen: Counter[str], owner: str = "") -> Any:
    def wrapper(self: Any, *args: Any) -> Any:
        seen[f"{owner or type(self).__name__}:{event}"] += 1
        return fn(self, *args)

    wrapper.__ormshift_listener__ = getattr(fn, "__ormshift_listener__", ())  # type: ignore[attr-defined]
    return wrapper


def test_hooks_suite_agrees_with_typeorm(pg_server_url: str, calls: Counter[str]) -> None:
    report = run_compare(CORPUS / "hooks", SCENARIO, pg_server_url, models="tests.models.hooks")
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected]
    assert details == []
    assert report.known == ()
    assert report.operations == OPERATIONS
    # every subscriber event was heard (TypeORM agreeing, it heard them too)
    camel = {"".join(w.title() for w in e.split("_")) for e in SUBSCRIBER_EVENTS}
    heard = {k.removeprefix("event:") for k in calls if k.startswith("event:")}
    assert {e[0].lower() + e[1:] for e in camel} == heard
    # every listener of both models ran
    for event in LISTENER_EVENTS:
        assert calls[f"Account:{event}"] > 0, event
    assert calls["Entry:before_insert"] > 0 and calls["Entry:after_load"] > 0
    # every transformer both ways (UpperTransformer is Entry.label's and Account.code's)
    for name in ("TrimTransformer", "JsonTextTransformer", "SuffixTransformer"):
        assert calls[f"{name}:to_database"] > 0 and calls[f"{name}:from_database"] > 0


def test_fuzzed_event_log_writes_agree_with_typeorm(pg_server_url: str) -> None:
    """tests/scenarios/hooks-fuzz.yaml: what the fuzzer found on the set (the keys an
    EventLog written is logged with)."""
    fuzzed = SCENARIO.with_name("hooks-fuzz.yaml")
    report = run_compare(CORPUS / "hooks", fuzzed, pg_server_url, models="tests.models.hooks")
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches] == []
    assert report.operations == 7


def test_the_suite_covers_every_operation_and_operator() -> None:
    loaded = load_scenarios(SCENARIO)
    steps = [op for s in loaded.scenarios for op in s.operations]
    nested = [raw for op in steps if op.op == "transaction" for raw in op.args[0]]
    names = {op.op for op in steps} | {raw["op"] for raw in nested}
    assert {
        "find", "findBy", "findOne", "findOneBy", "findAndCount", "count", "countBy",
        "existsBy", "save", "remove", "softRemove", "recover", "insert", "update", "upsert",
        "increment", "softDelete", "restore", "delete", "transaction", "throw",
    } <= names  # fmt: skip
    assert sum(len(s.operations) for s in loaded.scenarios) == OPERATIONS
    assert _ops([op.args for op in steps]) >= OPERATORS


def test_failing_units_agree_with_typeorm(pg_server_url: str) -> None:
    """tests/scenarios/hooks-failures.yaml: what a 20,000-operation fuzz found on the
    set: a listener throwing in a transaction leaves nothing behind to write (the
    transaction goes on with what came before), the database entities of a unit are
    loaded before its transaction, and after_insert follows TypeORM's insert order; a
    transformer throwing throws its own error, before any statement; a savepoint whose
    rollback event is refused stays aborted, as TypeORM leaves it."""
    failures = SCENARIO.with_name("hooks-failures.yaml")
    report = run_compare(CORPUS / "hooks", failures, pg_server_url, models="tests.models.hooks")
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches] == []
    assert report.operations == 18
