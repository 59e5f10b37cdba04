"""TypeORM's SelectQueryBuilder against ormshift's (issue 14): the chains of
tests/scenarios/querybuilder.yaml on tests/corpus/library, run on real TypeORM 1.1.1 and
on `ormshift.orm.querybuilder`, compared by the strict harness: no mismatch at all.
The models are the package `ormshift generate` makes from the set's golden manifest."""

from __future__ import annotations

from pathlib import Path

from ormshift.compare import CompareReport, run_compare
from ormshift.compare.scenario import load_scenarios
from tests.conftest import CORPUS
from tests.golden.support import generated, imported

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder.yaml"


def agrees(
    corpus_set: str, scenario: Path, url: str, tmp_path: Path | None, models: str | None = None
) -> CompareReport:
    """Run ``scenario`` on ``corpus_set`` through TypeORM and ormshift.orm (the models
    `ormshift generate` makes, or ``models``); assert no mismatch and that every
    operation of the file ran; the report."""
    loaded = load_scenarios(scenario)
    if models is not None:
        report = run_compare(CORPUS / corpus_set, scenario, url, models=models)
    else:
        assert tmp_path is not None
        with imported(generated(corpus_set), tmp_path) as package:
            report = run_compare(CORPUS / corpus_set, scenario, url, models=package.__name__)
    details = [
        f"{m.kind} {m.scenario} #{m.index} {m.label}: typeorm={m.typeorm!r} ormshift={m.ormshift!r}"
        for m in report.mismatches
    ]
    assert details == []
    assert report.operations == sum(len(s.operations) for s in loaded.scenarios)
    return report


def test_querybuilder_chains_agree_with_typeorm(pg_server_url: str, tmp_path: Path) -> None:
    report = agrees("library", SCENARIO, pg_server_url, tmp_path)
    assert report.operations >= 100


WRITES = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder-writes.yaml"


def test_write_builders_agree_with_typeorm(pg_server_url: str, tmp_path: Path) -> None:
    """The insert / update / delete / soft-delete / restore builders' chains of
    tests/scenarios/querybuilder-writes.yaml: results, errors and the database state
    after each chain as TypeORM's."""
    report = agrees("library", WRITES, pg_server_url, tmp_path)
    assert report.operations >= 30


HOOKS = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder-hooks.yaml"


def test_write_builders_tell_subscribers_as_typeorm(pg_server_url: str) -> None:
    """The write builders' events on the hooks set (an event_log row per event, compared
    after every chain), with and without callListeners(false)."""
    agrees("hooks", HOOKS, pg_server_url, None, models="tests.models.hooks")


QB_FUZZ_HOOKS = Path(__file__).resolve().parents[1] / "scenarios" / "qb-fuzz-hooks.yaml"


def test_fuzzed_builder_chains_on_hooks_agree_with_typeorm(pg_server_url: str) -> None:
    """tests/scenarios/qb-fuzz-hooks.yaml: what a 10,000-chain query-builder fuzz found
    on the hooks set (operators on transformed columns in merged find options, a
    relation builder's ``of({})``, one-to-many updates matching no row and their
    events), each compared with TypeORM's results, events and state."""
    report = agrees("hooks", QB_FUZZ_HOOKS, pg_server_url, None, models="tests.models.hooks")
    assert report.operations == 24


GAPS = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder-gaps.yaml"


def test_find_options_relation_ids_and_where_entity_agree_with_typeorm(
    pg_server_url: str, tmp_path: Path
) -> None:
    """``set_find_options``, ``load_relation_id_and_map`` and the write builders'
    ``where_entity`` (tests/scenarios/querybuilder-gaps.yaml): results and errors as
    TypeORM's."""
    agrees("library", GAPS, pg_server_url, tmp_path)


FIND_MERGE = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder-find-merge.yaml"


def test_find_options_merged_into_builder_calls_agree_with_typeorm(
    pg_server_url: str, tmp_path: Path
) -> None:
    """``set_find_options`` on a builder holding its own calls, with ``select``, a where
    and an order through a relation, ``lock`` and ``relationLoadStrategy``
    (tests/scenarios/querybuilder-find-merge.yaml): results and errors as TypeORM's."""
    report = agrees("library", FIND_MERGE, pg_server_url, tmp_path)
    assert report.operations >= 40


UPSERT_STI = Path(__file__).resolve().parents[1] / "scenarios" / "querybuilder-upsert-sti.yaml"


def test_or_update_of_a_single_table_child_agrees_with_typeorm(
    pg_server_url: str, tmp_path: Path
) -> None:
    """``or_update`` of a single-table child (garage set): the discriminator ANDed onto
    the WHERE after DO UPDATE SET, so a conflict row of another class stays as it is."""
    agrees("garage", UPSERT_STI, pg_server_url, tmp_path)
