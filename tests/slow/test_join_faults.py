"""The shared-run fault trials at full size (issue 18): 4 processes joining one run of
a 20-table source with a 1M-row table, SIGKILLed at random times and started again;
10 randomized trials, each leaving the target identical and each range written once.
Slow: run by scripts/test-slow, its own CI step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration import join_trials
from tests.integration.test_transfer_support import run_sql


@pytest.fixture(scope="module")
def source(make_db_module: Callable[[str], str]) -> str:
    src = make_db_module("jsrc")
    run_sql(src, *join_trials.ddl())
    run_sql(src, *join_trials.data(big_rows=1_000_000, small_rows=2_000))
    return src


@pytest.mark.parametrize("seed", range(1, 11))
def test_killed_workers_at_full_size(
    source: str, make_db: Callable[[str], str], tmp_path: Path, seed: int
) -> None:
    tgt = make_db("jtgt")
    run_sql(tgt, *join_trials.ddl())
    outcome = join_trials.run_trial(
        source, tgt, seed, tmp_path, processes=4, kills=8, batch_size=20_000, deadline=900
    )
    print(outcome)
    assert outcome["killed"], outcome
