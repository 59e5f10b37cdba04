"""Divergence classes the fuzzer found (`ormshift compare --fuzz`), each kept as a
scenario against real TypeORM: tests/scenarios/<file> on its corpus set, with the
models `ormshift generate` makes from the set's golden manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormshift.codegen import render_package
from ormshift.compare import run_compare
from ormshift.manifest import read
from tests.conftest import CORPUS, ROOT, require_extensions
from tests.golden.support import generated, golden_manifest, imported

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

#: scenario file -> (corpus set, operations)
CLASSES = {
    "shadowed-fuzz.yaml": ("shadowed", 19),
    "accounting-fuzz.yaml": ("accounting", 3),
    "writes-fuzz.yaml": ("writes", 20),
    "junctions.yaml": ("junctions", 8),
    "junctions-photo-fuzz.yaml": ("junctions", 2),
    "junctions-transactions.yaml": ("junctions", 6),
    "library-fuzz.yaml": ("library", 3),
    "library-self-fuzz.yaml": ("library", 2),
    "views-fuzz.yaml": ("views", 1),
    "cms-fuzz.yaml": ("cms", 14),
    "qb-fuzz-library.yaml": ("library", 5),
    "qb-fuzz-blog.yaml": ("blog", 6),
    "qb-fuzz-shop.yaml": ("shop", 5),
    "qb-fuzz-garage.yaml": ("garage", 1),
    "qb-fuzz-accounting.yaml": ("accounting", 21),
    "qb-fuzz-shadowed.yaml": ("shadowed", 3),
    "qb-fuzz-junctions.yaml": ("junctions", 8),
    "qb-fuzz-cms.yaml": ("cms", 12),
    "qb-fuzz-multischema.yaml": ("multischema", 3),
    "qb-fuzz-types.yaml": ("types", 41),
    "fid-writes-orphans.yaml": ("blog", 8),
    "fid-writes-nulls.yaml": ("blog", 6),
    "fid-writes-or-branches.yaml": ("blog", 8),
    "fid-misc-cms.yaml": ("cms", 16),
    "writes-orphan-actions.yaml": ("writes", 15),
    "fid-number-text-shop.yaml": ("shop", 11),
    "fid-order-to-many-writes.yaml": ("writes", 25),
    "fid-references-garage.yaml": ("garage", 16),
    "fid-relation-counts-library.yaml": ("library", 27),
    "fid-relation-counts-blog.yaml": ("blog", 29),
    "fid-query-strategy-library.yaml": ("library", 19),
    "fid-query-strategy-blog.yaml": ("blog", 8),
    "fid-query-strategy-cms.yaml": ("cms", 8),
    "fid-query-strategy-writes.yaml": ("writes", 1),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_fuzz_classes_agree(name: str, pg_server_url: str, tmp_path: Path) -> None:
    corpus, operations = CLASSES[name]
    manifest = golden_manifest(corpus)
    if any("uuid_generate_v4" in (c.default or "") for t in manifest.tables for c in t.columns):
        require_extensions(pg_server_url, ("uuid-ossp",))  # the set's uuid defaults
    with imported(generated(corpus), tmp_path) as package:
        report = run_compare(
            CORPUS / corpus, SCENARIOS / name, pg_server_url, models=package.__name__
        )
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches] == []
    assert report.operations == operations


def test_bookstore_fuzz_classes_agree(pg_server_url: str, tmp_path: Path) -> None:
    """The classes of examples/bookstore (tests/scenarios/bookstore-fuzz.yaml), with the
    models generated from the example's manifest."""
    project = ROOT / "examples" / "bookstore"
    package = render_package(read(project / "manifest.json"))
    with imported(package, tmp_path) as models:
        report = run_compare(
            project, SCENARIOS / "bookstore-fuzz.yaml", pg_server_url, models=models.__name__
        )
    assert [f"{m.kind} {m.scenario} #{m.index} {m.label}" for m in report.mismatches] == []
    assert report.operations == 5


def test_doubly_owned_junction_differs_as_documented(pg_server_url: str, tmp_path: Path) -> None:
    """docs/orm.md, "Intentional differences": TypeORM swaps the columns of a junction
    table owned from both sides; each step that shows it is marked known, and nothing
    else differs."""
    with imported(generated("junctions"), tmp_path) as package:
        report = run_compare(
            CORPUS / "junctions",
            SCENARIOS / "junctions-doubly-owned.yaml",
            pg_server_url,
            models=package.__name__,
        )
    assert [f"{m.kind} {m.scenario} #{m.index}" for m in report.unexpected] == []
    assert sorted({(m.scenario, m.index) for m in report.known}) == [
        (
            "error qb: TypeORM no error / ormshift QueryFailedError:23505 "
            "(relation(Student, courses) addAndRemove)",
            1,
        ),
        (
            "error save Student: TypeORM QueryFailedError:23503:FK_dd1ce01d1164c8bbdda052ced74 "
            "/ ormshift no error",
            1,
        ),
        ("state qb: enrollment (relation(Student, courses).of(1).add({id: 4}))", 1),
        ("state remove Student: enrollment", 1),
    ]


def test_both_sides_name_the_step_a_transaction_failed_at(
    pg_server_url: str, tmp_path: Path
) -> None:
    """A transaction failing in a nested transaction's second step: TypeORM (the
    sidecar) and ormshift both report that step as ``[1, 1]``, which the diff compares
    and the known-difference rules read."""
    from ormshift.compare.candidate import run_operation  # noqa: PLC0415
    from ormshift.compare.diff import ormshift_outcome, typeorm_outcome  # noqa: PLC0415
    from ormshift.compare.faces import face_named  # noqa: PLC0415
    from ormshift.compare.runner import _Databases, load_models  # noqa: PLC0415
    from ormshift.compare.scenario import Operation  # noqa: PLC0415
    from ormshift.compare.sidecar import Sidecar  # noqa: PLC0415

    fails = {"op": "save", "entity": "Course", "args": [{"title": "x", "students": [{"id": 999}]}]}
    inner = {
        "op": "transaction",
        "args": [[{"op": "insert", "entity": "Song", "args": [{"name": "a"}]}, fails]],
    }
    steps = [{"op": "find", "entity": "Song", "args": [{}]}, inner, {"op": "throw"}]
    op = Operation("transaction", None, [steps], "transaction")
    face = face_named("sync")
    with imported(generated("junctions"), tmp_path) as package:
        models = load_models(package.__name__)
        dbs = _Databases(pg_server_url, CORPUS / "junctions", None, models)
        try:
            with (
                Sidecar(CORPUS / "junctions", dbs.url("typeorm")) as sidecar,
                face.open(dbs.url("ormshift"), ()) as ds,
            ):
                reply = sidecar.request(op.message())
                ts = typeorm_outcome(op, reply.ok, reply.result, reply.error, frozenset())
                with pytest.raises(Exception) as raised:
                    face.run(run_operation(ds, models, op))
                py = ormshift_outcome(op, None, raised.value, {}, frozenset())
        finally:
            dbs.drop()
    assert ts.error is not None and ts.error.startswith("QueryFailedError:23503:")
    assert (ts.error, ts.step) == (py.error, py.step) == (ts.error, [1, 1])
