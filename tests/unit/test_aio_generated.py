"""The async face's wrappers are generated from the sync classes: no drift allowed."""

from __future__ import annotations

import importlib
import inspect

from ormshift.orm.aio import generate
from ormshift.orm.aio._generated import AsyncRepository
from ormshift.orm.repository import Repository


def test_generated_module_is_what_the_generator_writes() -> None:
    on_disk = generate.TARGET.read_text()
    assert on_disk == generate.render(), "run: python -m ormshift.orm.aio.generate"
    assert generate.main(["--check"]) == 0


def test_every_public_repository_method_is_on_the_async_face() -> None:
    sync = {n for n, f in vars(Repository).items() if inspect.isfunction(f) and n[0] != "_"}
    face = {n for n in dir(AsyncRepository) if n[0] != "_"}
    assert sync <= face
    assert inspect.iscoroutinefunction(AsyncRepository.find)
    assert inspect.iscoroutinefunction(AsyncRepository.save)
    assert not inspect.iscoroutinefunction(AsyncRepository.create)


def test_every_builder_and_tree_method_is_on_the_async_face() -> None:
    from ormshift.orm.aio import _generated  # noqa: PLC0415

    for spec in generate.SPECS:
        cls = getattr(importlib.import_module(spec.module), spec.name)
        wrapper = getattr(_generated, spec.wrapper)
        own = {n for n, f in vars(cls).items() if inspect.isfunction(f) and n[0] != "_"}
        assert own - spec.skip <= set(dir(wrapper)), spec.wrapper
    assert inspect.iscoroutinefunction(_generated.AsyncInsertQueryBuilder.execute)
    assert inspect.iscoroutinefunction(_generated.AsyncRelationQueryBuilder.add)
    assert inspect.iscoroutinefunction(_generated.AsyncTreeRepository.find_trees)
    assert not inspect.iscoroutinefunction(_generated.AsyncUpdateQueryBuilder.set)
    assert issubclass(_generated.AsyncDeleteQueryBuilder, _generated.AsyncSelectQueryBuilder)


def test_a_returned_builder_is_put_in_its_classes_wrapper() -> None:
    from ormshift.orm.aio import _generated  # noqa: PLC0415
    from ormshift.orm.aio.faces import SelectQueryBuilderFace  # noqa: PLC0415
    from ormshift.orm.querybuilder.insert import InsertQueryBuilder  # noqa: PLC0415
    from ormshift.orm.querybuilder.update import SoftDeleteQueryBuilder  # noqa: PLC0415

    sync = InsertQueryBuilder.__new__(InsertQueryBuilder)
    face = SelectQueryBuilderFace.__new__(SelectQueryBuilderFace)
    face._sync = sync  # a builder's own sync object comes back as the builder itself
    assert face._face(sync) is face
    other = SoftDeleteQueryBuilder.__new__(SoftDeleteQueryBuilder)
    assert type(face._face(other)) is _generated.AsyncSoftDeleteQueryBuilder
    assert face._face(3) == 3
