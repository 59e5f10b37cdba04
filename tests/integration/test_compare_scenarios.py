"""`ormshift compare` against real TypeORM: the shipped scenario suites must agree."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from ormshift.cli.compare import compare
from ormshift.compare import run_compare
from ormshift.compare.diff import differences
from ormshift.compare.models import generated_models
from ormshift.extract.typeorm import extract_project
from ormshift.report import read as read_report
from tests.conftest import CORPUS
from tests.golden.support import generated, imported

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
EVERY_METHOD = {
    "find", "findBy", "findOne", "findOneBy", "findOneOrFail", "findOneByOrFail", "findAndCount",
    "findAndCountBy", "count", "countBy", "exists", "existsBy", "save", "remove", "softRemove",
    "recover", "insert", "update", "upsert", "delete", "softDelete", "restore", "increment",
    "decrement", "query", "transaction",
}  # fmt: skip


def test_blog_suite_has_no_mismatches(pg_server_url: str) -> None:
    report = run_compare(CORPUS / "blog", SCENARIOS / "blog.yaml", pg_server_url)
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected]
    assert details == []
    # no step is marked known any more (the last, a select without the key, agrees)
    assert report.known == ()
    assert report.ok
    assert (report.count("result"), report.count("error"), report.count("state")) == (0, 0, 0)
    assert report.operations > 130
    assert set(report.latency) == EVERY_METHOD
    for sides in report.latency.values():
        assert set(sides) == {"typeorm", "ormshift"}


def test_types_suite_through_the_cli(pg_server_url: str, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(compare)
    app.command("version")(lambda: None)  # two commands: "compare" is a sub-command
    result = CliRunner().invoke(
        app,
        [
            "compare",
            "--project", str(CORPUS / "types"),
            "--scenario", str(SCENARIOS / "types.yaml"),
            "--db", pg_server_url,
            "--report", str(tmp_path / "compare.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 result, 0 error and 0 state mismatch(es)" in result.output
    report = read_report(tmp_path / "compare.json")
    assert report.kind == "compare" and report.status == "ok" and report.differences == ()
    assert {s.implementation for s in report.latency} == {"typeorm", "ormshift"}
    assert "host_cpu_percent" in {s.name for s in report.series}  # health beside latency
    assert report.summary is not None and len(report.summary.rows) == len(
        {s.operation for s in report.latency}
    )


def test_a_difference_is_reported(pg_server_url: str, tmp_path: Path) -> None:
    # ormshift's models expose the foreign key authorId; TypeORM's Post has no such property
    scenario = tmp_path / "diff.yaml"
    scenario.write_text(
        "models: tests.models.blog\n"
        "seed:\n"
        '  - insert into "user" (email, username, "displayName", version)\n'
        "    values ('a@b', 'a', 'A', 1)\n"
        "scenarios:\n"
        "  - name: differences\n"
        "    operations:\n"
        "      - {op: find, entity: Post, args: [{where: {authorId: 1}}]}\n"
        "      - {op: insert, entity: Post, args: [{title: t, slug: s, body: b, authorId: 1}]}\n"
    )
    report = run_compare(CORPUS / "blog", scenario, pg_server_url)
    kinds = sorted((m.index, m.kind) for m in report.mismatches)
    assert kinds == [(1, "error"), (2, "error"), (2, "state")]
    (state,) = [m for m in report.mismatches if m.kind == "state"]
    assert state.label.endswith("-> post") and state.typeorm == [] and len(state.ormshift) == 1


def test_writes_suite_has_no_mismatches(pg_server_url: str, tmp_path: Path) -> None:
    # models as a user gets them: `ormshift generate` of the set's extracted manifest
    with imported(generated("writes"), tmp_path) as package:
        report = run_compare(
            CORPUS / "writes", SCENARIOS / "writes.yaml", pg_server_url, models=package.__name__
        )
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches]
    assert details == []
    assert report.operations >= 90
    for method in ("save", "remove", "softRemove", "recover", "insert", "upsert", "update"):
        assert method in report.latency


def test_transactions_savepoints_and_javascript_values(pg_server_url: str) -> None:
    report = run_compare(CORPUS / "blog", SCENARIOS / "transactions.yaml", pg_server_url)
    assert [f"{m.kind} #{m.index} {m.label}" for m in report.unexpected] == []
    # TypeORM 1.x rejects undefined in a where; a Python port leaves the key out
    assert [(m.scenario, m.index) for m in report.known] == [
        ("JavaScript values", 5),
        ("JavaScript values", 6),
    ]
    assert report.operations == 18 and "transaction" in report.latency


def test_typed_values_on_generated_models(pg_server_url: str, tmp_path: Path) -> None:
    manifest = extract_project(CORPUS / "types")
    name, _ = generated_models(manifest, tmp_path)
    report = run_compare(CORPUS / "types", SCENARIOS / "values.yaml", pg_server_url, models=name)
    assert report.unexpected == () and report.operations == 35
    # the saves marked known differ only by the relation TypeORM keeps (their nulls agree)
    assert all(
        differences(m.typeorm, m.ormshift) == [".: only TypeORM has 'host'"] for m in report.known
    )


def test_a_step_marked_known_is_reported_but_does_not_fail(
    pg_server_url: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "known.yaml"
    scenario.write_text(
        "models: tests.models.blog\n"
        "scenarios:\n"
        "  - name: known\n"
        "    operations:\n"
        "      - {op: find, entity: Post, args: [{where: {authorId: 1}}], known: 'a note'}\n"
        "      - {op: find, entity: Tag, args: [{}]}\n"
    )
    report = run_compare(CORPUS / "blog", scenario, pg_server_url)
    assert report.ok and report.count("error") == 0
    assert [(m.index, m.kind, m.known) for m in report.known] == [(1, "error", "a note")]


def test_shadowed_names_suite_has_no_mismatches(pg_server_url: str, tmp_path: Path) -> None:
    # columns and relations renamed in Python (they would shadow a module name, a
    # class, or another member's attribute), used under their TypeORM names
    with imported(generated("shadowed"), tmp_path) as package:
        link = package.Link
        renamed = {
            k: str(r.info["property"])
            for k, r in link.__mapper__.relationships.items()
            if "property" in r.info
        }
        report = run_compare(
            CORPUS / "shadowed", SCENARIOS / "shadowed.yaml", pg_server_url, models=package.__name__
        )
    # Python names: snake case (`Column` -> `column`), then clear of module names and of
    # other members' TypeORM names (`text` -> `text_2`: `text_` is a column's property)
    assert renamed == {
        "text_2": "text", "func_": "func", "metadata_": "metadata", "column": "Column",
        "registry_": "registry", "mapped": "Mapped", "link": "Link", "note": "Note",
    }  # fmt: skip
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches]
    assert details == []
    assert report.operations == 34
