"""The TypeORM-derived suite: `tests/corpus/library` and `tests/corpus/garage` with the
scenario files modelled on TypeORM's own `test/functional` (find-options, repository,
persistence, table-inheritance, embedded, upsert, soft-delete, locking, columns).

The entities and data are ours; the behaviours are the ones TypeORM's tests check. The
models are the packages `ormshift generate` makes from the sets' golden manifests. Every
step must agree with TypeORM 1.1.1 except the steps marked ``known:`` (each with its
reason, docs/orm.md lists the classes); a marked step must still diverge, so that a fix
shows up here as a mark to remove.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ormshift.compare import run_compare
from ormshift.compare.scenario import load_scenarios
from tests.conftest import CORPUS
from tests.golden.support import generated, imported

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

#: scenario file -> (corpus set, operations, steps marked known)
SUITE = {
    "typeorm-find-options.yaml": ("library", 193, 0),
    "typeorm-repository.yaml": ("library", 184, 0),
    "typeorm-persistence.yaml": ("garage", 158, 0),
    "typeorm-inheritance.yaml": ("garage", 120, 0),
    "select-places.yaml": ("library", 2, 0),
}


def _marked(path: Path) -> set[tuple[str, int]]:
    loaded = load_scenarios(path)
    return {
        (s.name, i)
        for s in loaded.scenarios
        for i, op in enumerate(s.operations, start=1)
        if op.known is not None
    }


@pytest.mark.parametrize("name", sorted(SUITE))
def test_typeorm_suite_agrees(name: str, pg_server_url: str, tmp_path: Path) -> None:
    corpus, operations, known = SUITE[name]
    with imported(generated(corpus), tmp_path) as package:
        report = run_compare(
            CORPUS / corpus, SCENARIOS / name, pg_server_url, models=package.__name__
        )
    details = [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.unexpected]
    assert details == []
    assert report.operations == operations
    marked = _marked(SCENARIOS / name)
    assert len(marked) == known
    assert {(m.scenario, m.index) for m in report.known} == marked
    assert all((m.known or "").startswith("issue-12 ") for m in report.known)


def test_the_suite_is_six_hundred_operations() -> None:
    assert sum(operations for _, operations, _ in SUITE.values()) >= 600
    for name in SUITE:
        assert (SCENARIOS / name).is_file()
