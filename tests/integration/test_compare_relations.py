"""`ormshift compare` against real TypeORM on relations (tests/scenarios/relations.yaml),
with the models `ormshift generate` makes from the blog corpus set."""

from __future__ import annotations

from pathlib import Path

from ormshift.compare import run_compare
from ormshift.compare.models import generated_models
from ormshift.extract.typeorm import extract_project
from tests.conftest import CORPUS

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_relations_suite_has_no_mismatches(pg_server_url: str, tmp_path: Path) -> None:
    manifest = extract_project(CORPUS / "blog")
    name, _ = generated_models(manifest, tmp_path)
    report = run_compare(CORPUS / "blog", SCENARIOS / "relations.yaml", pg_server_url, models=name)
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected] == []
    assert [(m.scenario, m.index) for m in report.known] == []
    assert report.operations == 94
