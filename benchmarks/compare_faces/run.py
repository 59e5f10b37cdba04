"""Every scenario suite of tests/scenarios through both faces of `ormshift.orm`.

``python benchmarks/compare_faces/run.py [--faces sync,async] [NAME ...]`` runs each
file on its corpus set with the models its test gives it (tests/integration/
test_compare_*.py) and prints one verdict line per file and face: operations,
unexpected mismatches, known divergences, seconds. Needs ORMSHIFT_TEST_DSN.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.* from the root

from ormshift.codegen import render_package
from ormshift.compare import run_compare
from ormshift.compare.models import generated_models
from ormshift.extract.typeorm import extract_project
from ormshift.manifest import read
from tests.conftest import CORPUS, ROOT
from tests.golden.support import generated, imported

SCENARIOS = ROOT / "tests" / "scenarios"

#: scenario file -> (corpus set, models): "gen" (generated from the set's golden
#: manifest), "extract" (generated from the extracted project), "file" (the file's
#: own), or a module name
SUITES: dict[str, tuple[str, str]] = {
    "accounting-fuzz.yaml": ("accounting", "gen"),
    "blog.yaml": ("blog", "file"),
    "bookstore-fuzz.yaml": ("bookstore", "example"),
    "cms-fuzz.yaml": ("cms", "gen"),
    "fid-misc-cms.yaml": ("cms", "gen"),
    "fid-writes-nulls.yaml": ("blog", "gen"),
    "fid-writes-or-branches.yaml": ("blog", "gen"),
    "fid-writes-orphans.yaml": ("blog", "gen"),
    "hooks-fuzz.yaml": ("hooks", "tests.models.hooks"),
    "hooks.yaml": ("hooks", "tests.models.hooks"),
    "junctions-doubly-owned.yaml": ("junctions", "gen"),
    "junctions-photo-fuzz.yaml": ("junctions", "gen"),
    "junctions-transactions.yaml": ("junctions", "gen"),
    "junctions.yaml": ("junctions", "gen"),
    "library-fuzz.yaml": ("library", "gen"),
    "library-self-fuzz.yaml": ("library", "gen"),
    "qb-fuzz-blog.yaml": ("blog", "gen"),
    "qb-fuzz-garage.yaml": ("garage", "gen"),
    "qb-fuzz-library.yaml": ("library", "gen"),
    "qb-fuzz-shop.yaml": ("shop", "gen"),
    "querybuilder-composite.yaml": ("shop", "gen"),
    "querybuilder-gaps.yaml": ("library", "gen"),
    "querybuilder-hooks.yaml": ("hooks", "tests.models.hooks"),
    "querybuilder-writes.yaml": ("library", "gen"),
    "querybuilder.yaml": ("library", "gen"),
    "relations.yaml": ("blog", "extract"),
    "select-places.yaml": ("library", "gen"),
    "shadowed-fuzz.yaml": ("shadowed", "gen"),
    "shadowed.yaml": ("shadowed", "gen"),
    "shop.yaml": ("shop", "gen"),
    "transactions.yaml": ("blog", "file"),
    "trees.yaml": ("cms", "gen"),
    "typeorm-find-options.yaml": ("library", "gen"),
    "typeorm-inheritance.yaml": ("garage", "gen"),
    "typeorm-persistence.yaml": ("garage", "gen"),
    "typeorm-repository.yaml": ("library", "gen"),
    "types.yaml": ("types", "file"),
    "values.yaml": ("types", "extract"),
    "views-fuzz.yaml": ("views", "gen"),
    "writes-fuzz.yaml": ("writes", "gen"),
    "writes.yaml": ("writes", "gen"),
}


@contextmanager
def _models(corpus: str, how: str, tmp: Path) -> Iterator[tuple[Path, str | None]]:
    """The project and the models module for one suite."""
    if how == "file":
        yield CORPUS / corpus, None
    elif how == "example":
        project = ROOT / "examples" / corpus
        with imported(render_package(read(project / "manifest.json")), tmp) as package:
            yield project, package.__name__
    elif how == "gen":
        with imported(generated(corpus), tmp) as package:
            yield CORPUS / corpus, package.__name__
    elif how == "extract":
        name, _ = generated_models(extract_project(CORPUS / corpus), tmp)
        yield CORPUS / corpus, name
    else:
        yield CORPUS / corpus, how


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--faces", default="sync,async")
    args = parser.parse_args()
    dsn = os.environ["ORMSHIFT_TEST_DSN"]
    names = args.names or sorted(SUITES)
    for name in names:
        corpus, how = SUITES[name]
        for face in args.faces.split(","):
            with (
                tempfile.TemporaryDirectory() as tmp,
                _models(corpus, how, Path(tmp)) as (
                    project,
                    models,
                ),
            ):
                started = time.perf_counter()
                report = run_compare(project, SCENARIOS / name, dsn, models=models, face=face)
                seconds = time.perf_counter() - started
            known = sorted({(m.scenario, m.index) for m in report.known})
            print(
                f"{name:30} {report.face:5} ops={report.operations:4} "
                f"unexpected={len(report.unexpected)} known={len(report.known)} "
                f"known_steps={len(known)} {seconds:6.1f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
