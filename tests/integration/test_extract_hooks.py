"""The extractor records listeners, transformers and subscribers as TypeORM's metadata
has them (tests/corpus/hooks)."""

from __future__ import annotations

import pytest

from ormshift.extract import extract_project
from ormshift.manifest import Listener, Subscriber, dump
from tests.conftest import CORPUS
from tests.golden.support import golden_manifest

pytestmark = pytest.mark.node


def test_listeners_transformers_and_subscribers_are_recorded() -> None:
    manifest = extract_project(CORPUS / "hooks")
    account = manifest.entity("Account")
    assert account.listeners[:3] == (
        Listener("before-insert", "makeKey"),
        Listener("before-update", "bumpRevision"),
        Listener("after-insert", "afterInsert"),
    )
    assert {lst.type for lst in account.listeners} == {
        "after-load", "before-insert", "after-insert", "before-update", "after-update",
        "before-remove", "after-remove", "before-soft-remove", "after-soft-remove",
        "before-recover", "after-recover",
    }  # fmt: skip
    by_property = {c.property_path: c for c in account.columns}
    assert by_property["code"].transformers == ("SuffixTransformer", "UpperTransformer")
    assert by_property["nickname"].transformers == ("TrimTransformer",)
    assert by_property["nickname"].has_transformer
    assert by_property["email"].transformers == ()
    assert manifest.entity("EventLog").listeners == ()
    # TypeORM's order: that of the @EventSubscriber decorators (the imports')
    assert [s.name for s in manifest.subscribers] == [
        "AccountSubscriber",
        "EventLogSubscriber",
        "RollbackTrapSubscriber",
    ]
    assert manifest.subscribers[0] == Subscriber(
        "AccountSubscriber", "Account", ("beforeInsert", "beforeUpdate")
    )
    assert manifest.subscribers[1].listen_to is None
    assert len(manifest.subscribers[1].events) == 17
    assert manifest.subscribers[2].events == ("beforeTransactionRollback",)
    assert manifest.format_version == 2


def test_the_golden_manifest_is_what_the_extractor_gives() -> None:
    assert dump(extract_project(CORPUS / "hooks")) == dump(golden_manifest("hooks"))
