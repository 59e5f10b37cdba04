"""The async face's wrappers are generated from the sync classes: no drift allowed."""

from __future__ import annotations

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
