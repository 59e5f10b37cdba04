"""Composite primary keys against real TypeORM: tests/scenarios/shop.yaml, whose
OrderLine is keyed by (orderId, lineNo), through the models `ormshift generate` makes."""

from __future__ import annotations

from pathlib import Path

from ormshift.compare import run_compare
from tests.conftest import CORPUS, require_extensions
from tests.golden.support import generated, imported

from .test_compare_querybuilder import agrees

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_shop_composite_key_suite_has_no_mismatches(pg_server_url: str, tmp_path: Path) -> None:
    require_extensions(pg_server_url, ("uuid-ossp",))  # the shop set's uuid defaults
    with imported(generated("shop"), tmp_path) as package:
        report = run_compare(
            CORPUS / "shop", SCENARIOS / "shop.yaml", pg_server_url, models=package.__name__
        )
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected]
    assert details == []
    assert list(report.known) == []  # a collection given twice comes back once, as in TypeORM
    assert report.operations == 32
    for method in ("count", "findAndCount", "update", "delete", "remove", "save", "upsert"):
        assert method in report.latency


def test_relation_builder_on_composite_keys_agrees_with_typeorm(
    pg_server_url: str, tmp_path: Path
) -> None:
    """``relation(OrderLine, "promotions").of({orderId, lineNo})`` and the other sides
    (tests/scenarios/querybuilder-composite.yaml): results, errors and the junction's rows
    after each write as TypeORM's."""
    require_extensions(pg_server_url, ("uuid-ossp",))
    report = agrees("shop", SCENARIOS / "querybuilder-composite.yaml", pg_server_url, tmp_path)
    assert report.operations == 30
