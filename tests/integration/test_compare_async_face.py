"""`ormshift compare --face async`: scenario suites and the fuzzer through the asyncio
face (`ormshift.orm.aio`) against real TypeORM, with the same verdicts as the sync
face's; a probe on every statement SQLAlchemy sends proves the async engine ran them
(the sync face's engine is not asyncio's, so a silent fallback to it would show)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ormshift.cli.compare import compare
from ormshift.compare import run_compare
from ormshift.compare.scenario import load_scenarios
from tests.conftest import CORPUS
from tests.golden.support import generated, imported

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _marked(path: Path) -> set[tuple[str, int]]:
    return {
        (s.name, i)
        for s in load_scenarios(path).scenarios
        for i, op in enumerate(s.operations, start=1)
        if op.known is not None
    }


#: scenario file -> corpus set (models generated from its golden manifest, or None: the
#: file's own); transactions and savepoints, trees, write and relation builders,
#: units that fail with listeners and subscribers
SUITES = {
    "transactions.yaml": ("blog", False),
    "trees.yaml": ("cms", True),
    "querybuilder-writes.yaml": ("library", True),
    "querybuilder-composite.yaml": ("shop", True),
    # listeners, subscribers and transformers ported by hand (the file's models)
    "hooks-failures.yaml": ("hooks", False),
    "qb-fuzz-hooks.yaml": ("hooks", False),
}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_scenarios_through_the_async_face_agree_with_typeorm(
    name: str, pg_server_url: str, tmp_path: Path, drivers: Counter[str]
) -> None:
    corpus, generate = SUITES[name]
    path = SCENARIOS / name
    if generate:
        with imported(generated(corpus), tmp_path) as package:
            report = run_compare(
                CORPUS / corpus, path, pg_server_url, models=package.__name__, face="async"
            )
    else:
        report = run_compare(CORPUS / corpus, path, pg_server_url, face="async")
    assert report.face == "async"
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected] == []
    # the steps the file marks known differ here too, and only they
    assert {(m.scenario, m.index) for m in report.known} == _marked(path)
    assert report.operations == sum(len(s.operations) for s in load_scenarios(path).scenarios)
    # every statement went through the asyncio engine (psycopg's async driver)
    assert set(drivers) == {"psycopg async"}
    assert drivers["psycopg async"] >= report.operations


def test_fuzz_through_the_async_face(
    pg_server_url: str, tmp_path: Path, drivers: Counter[str]
) -> None:
    app = typer.Typer()
    app.command()(compare)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(
        app,
        [
            "compare", "--project", str(CORPUS / "blog"), "--db", pg_server_url,
            "--fuzz", "200", "--seed", "1", "--face", "async", "--shrink-runs", "0",
            "--output", str(tmp_path / "out"), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["face"] == "async"
    assert data["operations"] == 200 and data["divergences"] == 0 and data["classes"] == {}
    assert set(drivers) == {"psycopg async"} and drivers["psycopg async"] >= 200


def test_an_unknown_face_is_one_line(pg_server_url: str) -> None:
    app = typer.Typer()
    app.command()(compare)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(
        app,
        [
            "compare", "--project", str(CORPUS / "blog"), "--db", pg_server_url,
            "--scenario", str(SCENARIOS / "blog.yaml"), "--face", "threads",
        ],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "--face threads: no such face; give one of sync, async" in result.output
    assert "Traceback" not in result.output
