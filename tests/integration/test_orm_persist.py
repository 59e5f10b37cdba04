"""`ormshift.orm`'s persistence rules inside a caller's transaction, on the models
`ormshift generate` makes from the writes corpus set: what a save or remove does not
own is left alone (the compare suite, tests/scenarios/writes.yaml, checks the rules
themselves against TypeORM)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine

from ormshift.dsn import sqlalchemy_url
from ormshift.orm import DataSource
from ormshift.orm.metadata import entity_info
from tests.golden.support import generated, imported
from tests.models.blog import Post


@pytest.fixture
def models(tmp_path: Path) -> Iterator[ModuleType]:
    with imported(generated("writes"), tmp_path) as package:
        yield package


@pytest.fixture
def ds(models: ModuleType, fresh_db: str) -> Iterator[DataSource]:
    engine = create_engine(sqlalchemy_url(fresh_db))
    models.Base.metadata.create_all(engine)
    engine.dispose()
    with DataSource(fresh_db, size=2) as source:
        members = source.get_repository(models.Member)
        members.insert([{"handle": "m1"}, {"handle": "m2"}])
        yield source


def test_save_in_a_transaction_keeps_the_callers_own_changes(
    ds: DataSource, models: ModuleType
) -> None:
    with ds.transaction() as m:
        mine = m.get_repository(models.Member).find_one_by({"id": 1})
        mine.handle = "changed by the caller"
        # Project.owner has no cascade: member 2 is linked, not updated
        project = m.get_repository(models.Project).create(
            {"name": "P", "owner": {"id": 2, "handle": "not written"}}
        )
        m.get_repository(models.Project).save(project)
        m.get_repository(models.Member).save(mine)
    handles = [(x.id, x.handle) for x in ds.get_repository(models.Member).find(order={"id": "ASC"})]
    assert handles == [(1, "changed by the caller"), (2, "m2")]
    saved = ds.get_repository(models.Project).find(relations={"owner": True})
    assert [(p.name, p.owner.id) for p in saved] == [("P", 2)]


def test_remove_in_a_transaction_forgets_the_row(ds: DataSource, models: ModuleType) -> None:
    with ds.transaction() as m:
        repo = m.get_repository(models.Member)
        found = repo.find_one_by({"id": 1})
        repo.remove(found)
        assert found.id is None
        assert repo.find_one_by({"id": 1}) is None
    assert [x.id for x in ds.get_repository(models.Member).find()] == [2]


def test_generated_and_hand_written_cascades(models: ModuleType) -> None:
    project = entity_info(models.Project)
    assert project.cascades("owner") == frozenset()
    assert project.cascades("lead") == {"insert"}
    assert project.cascades("milestones") == {
        "insert", "update", "remove", "soft-remove", "recover",
    }  # fmt: skip
    # no info["cascade"]: SQLAlchemy's cascade says it (save-update: insert and update)
    assert entity_info(Post).cascades("comments") == {"insert", "update"}
    teacher = entity_info(models.Teacher)
    assert "ledger" not in teacher.columns and "salary" in teacher.columns
    assert {"ledger", "grade"} == teacher.sibling_columns
    assert entity_info(models.Task).no_insert == {"id", "points"}
    assert entity_info(models.Task).no_update == {"code"}
