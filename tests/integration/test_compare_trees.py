"""Tree entities (tests/scenarios/trees.yaml) against real TypeORM on tests/corpus/cms,
with the models `ormshift generate` writes: every TreeRepository method on each tree
type, and the closure rows, materialized paths and nested-set bounds of save, re-parent
and remove."""

from __future__ import annotations

from pathlib import Path

import yaml

from ormshift.compare import run_compare
from tests.conftest import CORPUS
from tests.golden.support import generated, imported

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TREE_CALLS = {
    "findTrees", "findRoots", "findDescendants", "findDescendantsTree", "findAncestors",
    "findAncestorsTree", "countDescendants", "countAncestors",
    "createDescendantsQueryBuilder", "createAncestorsQueryBuilder",
}  # fmt: skip


def test_trees_suite_has_no_mismatches(pg_server_url: str, tmp_path: Path) -> None:
    suite = yaml.safe_load((SCENARIOS / "trees.yaml").read_text())
    calls: dict[str, set[str]] = {}
    for scenario in suite["scenarios"]:
        for op in scenario["operations"]:
            if op["op"] == "tree":
                calls.setdefault(op["entity"], set()).add(op["args"][0])
    # every method on each tree type
    assert calls == dict.fromkeys(("Category", "Department", "Menu"), TREE_CALLS)
    with imported(generated("cms"), tmp_path) as package:
        report = run_compare(
            CORPUS / "cms", SCENARIOS / "trees.yaml", pg_server_url, models=package.__name__
        )
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches]
    assert details == []
    assert report.operations >= 80
    for method in ("tree", "save", "remove"):
        assert method in report.latency
