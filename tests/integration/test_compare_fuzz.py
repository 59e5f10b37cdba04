"""The differential fuzzer against real TypeORM: deterministic for a seed, and it finds
and shrinks a divergence planted in ormshift.orm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ormshift.cli.compare import compare
from ormshift.compare import run_compare
from ormshift.compare.fuzz import fuzz, generate_operations
from ormshift.extract.typeorm import extract_project
from ormshift.manifest import Manifest
from ormshift.orm import cache, where
from ormshift.orm.operators import FindOperator
from tests.conftest import CORPUS

BLOG = CORPUS / "blog"
MODELS = "tests.models.blog"


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    return extract_project(BLOG)


def _ops(sequences: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for seq in sequences:
        for op in seq:
            out.append(op)
            if op["op"] == "transaction":
                out += [s for s in op["args"][0] if isinstance(s, dict)]
    return out


def test_the_same_seed_gives_the_same_operations(manifest: Manifest) -> None:
    rows = {"tag": [{"id": 1, "name": "math", "label": "M"}]}
    first = generate_operations(manifest, rows, 7, 600, 20)
    again = generate_operations(manifest, rows, 7, 600, 20)
    other = generate_operations(manifest, rows, 8, 600, 20)
    assert json.dumps(first) == json.dumps(again)
    assert json.dumps(first) != json.dumps(other)
    assert sum(len(s) for s in first) == 600 and max(len(s) for s in first) == 20
    made = _ops(first)
    assert {
        "find", "findAndCount", "count", "exists", "findOne", "insert", "save", "update",
        "upsert", "delete", "softDelete", "restore", "softRemove", "recover", "increment",
        "decrement", "remove", "transaction", "throw",
    } <= {op["op"] for op in made}  # fmt: skip
    text = json.dumps(first)
    for option in ('"relations"', '"order"', '"select"', '"skip"', '"take"', '"withDeleted"'):
        assert option in text
    assert '"$op": "MoreThan"' in text and '"$op": "In"' in text and '"$op": "IsNull"' in text
    nested = [s for op in made if op["op"] == "transaction" for s in op["args"][0]]
    assert any(s["op"] == "transaction" for s in nested)  # savepoints


def test_query_builder_chains_cover_every_builder(manifest: Manifest) -> None:
    rows = {
        "user": [{"id": 1, "email": "a@x", "username": "a", "displayName": "A"}],
        "post": [{"id": 1, "title": "t", "slug": "s", "body": "b", "authorId": 1}],
        "tag": [{"id": 1, "name": "math", "label": "M"}],
    }
    first = generate_operations(manifest, rows, 3, 1500, 20, query_builder=True)
    again = generate_operations(manifest, rows, 3, 1500, 20, query_builder=True)
    assert json.dumps(first) == json.dumps(again)
    chains = [op["chain"] for seq in first for op in seq]
    starts = {chain[0][0] for chain in chains}
    assert {"insert", "update", "delete", "relation"} <= starts
    calls = {call[0] for chain in chains for call in chain}
    assert {"orIgnore", "orUpdate", "returning", "of", "add", "remove", "addAndRemove"} <= calls
    assert {"set", "loadMany", "loadOne", "getMany", "getRawMany", "leftJoinAndSelect"} <= calls
    # an insert's rows sometimes name different columns (one statement, DEFAULT for the rest)
    inserts = [c for chain in chains for c in chain if c[0] == "values" and isinstance(c[1], list)]
    assert any(len({tuple(sorted(r)) for r in c[1]}) > 1 for c in inserts)


def test_query_builder_fuzz_agrees_on_the_library_set(pg_server_url: str) -> None:
    report = fuzz(
        CORPUS / "library", pg_server_url, operations=300, seed=1, shrink_runs=0, query_builder=True
    )
    assert report.operations == 300
    assert dict(report.classes) == {}


def _broken_more_than(original: Any) -> Any:
    def compile_operator(value: Any, col: Any, label: str) -> Any:
        if isinstance(value, FindOperator) and value.kind == "moreThan":
            value = FindOperator("moreThanOrEqual", value.value)
        return original(value, col, label)

    return compile_operator


def test_the_fuzzer_finds_and_shrinks_a_broken_operator(
    pg_server_url: str, manifest: Manifest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a seed whose 200 operations use MoreThan at a stored value (the broken operator
    # differs only there): seeds 4 to 7 all do; 3 stopped doing so when the generator
    # left volatile columns to null tests
    common = {"operations": 200, "seed": 4, "models": MODELS, "manifest": manifest}
    baseline = fuzz(BLOG, pg_server_url, shrink_runs=0, **common)  # type: ignore[arg-type]
    assert baseline.operations == 200 and baseline.sequences == 10

    monkeypatch.setattr(where, "compile_operator", _broken_more_than(where.compile_operator))
    cache.clear()
    try:
        broken = fuzz(
            BLOG,
            pg_server_url,
            shrink_runs=120,
            known=frozenset(baseline.classes),
            out_dir=tmp_path / "found",
            **common,  # type: ignore[arg-type]
        )
        new = [f for f in broken.findings if f.signature not in baseline.classes]
        assert new, f"no new divergence class; found {sorted(broken.classes)}"
        small = min(new, key=lambda f: len(f.operations))
        assert len(small.operations) <= 2 <= small.original_length
        assert '"$op": "MoreThan"' in json.dumps(small.operations)
        # it does not go when the finds are ordered: no known difference
        assert small.known is None and small.signature in broken.classes
        assert small.file is not None and small.file.exists()
        # the written scenario reproduces it through `ormshift compare --scenario`
        again = run_compare(BLOG, small.file, pg_server_url)
        assert again.unexpected, "the shrunk scenario does not reproduce the divergence"
    finally:
        monkeypatch.undo()
        cache.clear()
    fixed = run_compare(BLOG, small.file, pg_server_url)
    assert fixed.mismatches == ()  # with ormshift.orm intact the scenario agrees


def test_fuzz_through_the_cli(pg_server_url: str, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(compare)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(
        app,
        [
            "compare", "--project", str(BLOG), "--db", pg_server_url, "--models", MODELS,
            "--fuzz", "40", "--seed", "5", "--ops-per-scenario", "10",
            "--output", str(tmp_path / "out"), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert data["operations"] == 40 and data["sequences"] == 4
    assert (result.exit_code == 1) == bool(data["classes"])
    for path in data["scenarios"].values():
        assert Path(path).exists()
    bad = CliRunner().invoke(
        app, ["compare", "--project", str(BLOG), "--db", pg_server_url, "--fuzz", "0"]
    )
    assert bad.exit_code == 2 and "'--fuzz'" in bad.output  # the parser's range check


def test_known_differences_are_counted_apart(pg_server_url: str, tmp_path: Path) -> None:
    """On the junctions set, TypeORM's doubly-owned `enrollment` writes are the
    documented difference: reported as known (count and reference), not as divergences,
    and the exit code is 0 when nothing else differs."""
    from ormshift.compare.fuzz.known import DOUBLY_OWNED  # noqa: PLC0415

    app = typer.Typer()
    app.command()(compare)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(
        app,
        [
            "compare", "--project", str(CORPUS / "junctions"), "--db", pg_server_url,
            "--fuzz", "600", "--seed", "1", "--shrink-runs", "0",
            "--output", str(tmp_path / "out"), "--json",
        ],
    )  # fmt: skip
    data = json.loads(result.output)
    assert data["known_differences"] > 0
    assert data["known_differences"] == sum(k["count"] for k in data["known"].values())
    assert {k["documented"] for k in data["known"].values()} == {DOUBLY_OWNED}
    assert not set(data["known"]) & set(data["classes"])
    assert data["divergences"] == sum(data["classes"].values())
    assert result.exit_code == (1 if data["classes"] else 0), result.output
    known_files = [p for p in (tmp_path / "out").iterdir() if "-known-" in p.name]
    assert len(known_files) == len(data["known"])


def test_fuzz_gives_ormshift_the_models_subscribers(pg_server_url: str) -> None:
    # the hooks set's subscribers log every event into a table every write compares:
    # without the module's SUBSCRIBERS on ormshift's side the first write diverges
    report = fuzz(
        CORPUS / "hooks",
        pg_server_url,
        operations=40,
        seed=1,
        models="tests.models.hooks",
        shrink_runs=0,
    )
    assert report.operations == 40
    assert [c for c in report.classes if "event_log" in c] == []
