"""The asyncio face at full size against real TypeORM (issue 17): the TypeORM-derived
suite (`tests/scenarios/typeorm-*.yaml`, 655 operations) and the fuzzer's write-heavy
sets through `ormshift compare --face async`, with the sync face's verdicts: no step
differs, and every statement went through psycopg's async driver."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ormshift.compare import run_compare
from ormshift.compare.fuzz import fuzz
from tests.conftest import CORPUS, require_extensions
from tests.golden.support import generated, imported
from tests.integration.test_compare_typeorm_suite import SUITE

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("name", sorted(SUITE))
def test_typeorm_suite_through_the_async_face(
    name: str, pg_server_url: str, tmp_path: Path, drivers: Counter[str]
) -> None:
    corpus, operations, known = SUITE[name]
    with imported(generated(corpus), tmp_path) as package:
        report = run_compare(
            CORPUS / corpus, SCENARIOS / name, pg_server_url, models=package.__name__, face="async"
        )
    assert report.face == "async"
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected] == []
    assert report.operations == operations and len(report.known) == known
    assert set(drivers) == {"psycopg async"} and drivers["psycopg async"] >= operations


@pytest.mark.parametrize("corpus", ["writes", "shop"])
def test_fuzz_through_the_async_face(corpus: str, pg_server_url: str) -> None:
    if corpus == "shop":
        require_extensions(pg_server_url, ("uuid-ossp",))  # the set's uuid defaults
    report = fuzz(
        CORPUS / corpus, pg_server_url, operations=1000, seed=3, shrink_runs=0, face="async"
    )
    assert report.operations == 1000
    assert dict(report.classes) == {}, sorted(report.classes)
