"""The TypeScript build cache: keyed by content, stored whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormshift.extract import cache


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "src" / "entity").mkdir(parents=True)
    (root / "tsconfig.json").write_text('{"compilerOptions": {"rootDir": "src"}}')
    (root / "src" / "entity" / "Post.ts").write_text("export class Post {}\n")
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "index.js").write_text("module.exports = 1\n")
    return root


def test_key_follows_sources_and_config_only(project: Path, tmp_path: Path) -> None:
    tsc = tmp_path / "tsc"
    key = cache.build_key(project, tsc, own_typeorm=False)
    assert cache.build_key(project, tsc, own_typeorm=False) == key
    (project / "node_modules" / "x" / "index.js").write_text("module.exports = 2\n")
    assert cache.build_key(project, tsc, own_typeorm=False) == key  # not a source
    (project / "src" / "entity" / "Post.ts").write_text("export class Post { id = 1 }\n")
    changed = cache.build_key(project, tsc, own_typeorm=False)
    assert changed != key
    (project / "tsconfig.json").write_text(
        '{"compilerOptions": {"rootDir": "src", "strict": true}}'
    )
    assert cache.build_key(project, tsc, own_typeorm=False) != changed
    assert cache.build_key(project, tsc, own_typeorm=True) != cache.build_key(
        project, tsc, own_typeorm=False
    )


def test_store_and_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORMSHIFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ORMSHIFT_NO_CACHE", raising=False)
    build = tmp_path / "build"
    (build / "entity").mkdir(parents=True)
    (build / "entity" / "Post.js").write_text("exports.Post = class {}\n")
    assert cache.lookup("k1") is None
    stored = cache.store("k1", build)
    assert stored is not None and cache.lookup("k1") == stored
    assert (stored / "entity" / "Post.js").read_text() == "exports.Post = class {}\n"
    assert cache.store("k1", build) == stored  # a second store of the same key is harmless
    assert sorted(p.name for p in (tmp_path / "cache" / "tsc").iterdir()) == ["k1"]


def test_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORMSHIFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ORMSHIFT_NO_CACHE", "1")
    build = tmp_path / "build"
    build.mkdir()
    assert cache.store("k", build) is None and cache.lookup("k") is None
    assert not (tmp_path / "cache").exists()
