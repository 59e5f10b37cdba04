"""A cache of TypeScript builds, keyed by everything that decides the emitted JavaScript.

Extracting, synchronizing and comparing the same project compile it again and again;
tsc takes seconds. The key hashes every source and config file of the project (not
``node_modules``), the compiler used and whether the project brings its own TypeORM.
Set ``ORMSHIFT_NO_CACHE=1`` to bypass it; ``ORMSHIFT_CACHE_DIR`` moves it (default
``$XDG_CACHE_HOME/ormshift`` or ``~/.cache/ormshift``). Builds unused for 14 days are
pruned when a new one is stored.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

SOURCE_SUFFIXES = {".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"}
SKIP_DIRS = {"node_modules", ".git", "dist", "build", "out", ".ormshift"}
MAX_AGE_SECONDS = 14 * 24 * 3600
FORMAT = "tsc-build-v2"


def cache_base() -> Path:
    """ormshift's user cache: ``$ORMSHIFT_CACHE_DIR``, else ``$XDG_CACHE_HOME/ormshift``
    or ``~/.cache/ormshift`` (builds in ``tsc/``, the bridge's packages in ``bridge/``)."""
    env = os.environ.get("ORMSHIFT_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ormshift"


def cache_root() -> Path | None:
    """Where builds are cached; None when ``ORMSHIFT_NO_CACHE`` is set."""
    if os.environ.get("ORMSHIFT_NO_CACHE"):
        return None
    return cache_base() / "tsc"


def _sources(project: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix in SOURCE_SUFFIXES:
                found.append(path)
    return found


def _extended_configs(project: Path) -> list[Path]:
    """Configs outside the project that its tsconfig extends (one level is the norm)."""
    out = []
    config = project / "tsconfig.json"
    text = config.read_text("utf-8", errors="replace") if config.is_file() else ""
    marker = '"extends"'
    if marker in text:
        rest = text.split(marker, 1)[1].split('"')
        if len(rest) > 2:
            target = (project / rest[1]).resolve()
            if target.is_file() and project.resolve() not in target.parents:
                out.append(target)
    return out


def build_key(
    project: Path, tsc: Path, *, own_typeorm: bool | str, extra: Sequence[Path] = ()
) -> str:
    """``own_typeorm`` says where the project's TypeORM is (or whether it has one);
    ``extra`` are more files the build depends on (configs it extends)."""
    digest = hashlib.sha256()
    digest.update(f"{FORMAT}\0{tsc.resolve()}\0{own_typeorm}\0".encode())
    package = tsc.parent.parent / "package.json"
    if package.is_file():
        digest.update(package.read_bytes())
    outside = [p for p in extra if project.resolve() not in p.resolve().parents]
    for path in dict.fromkeys([*_sources(project), *_extended_configs(project), *outside]):
        digest.update(str(path.relative_to(project) if project in path.parents else path).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def lookup(key: str) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    entry = root / key
    if (entry / ".complete").is_file():
        os.utime(entry)  # keep it from being pruned while it is used
        return entry
    return None


def store(key: str, build: Path) -> Path | None:
    """Copy ``build`` into the cache; its cached path, or None when caching is off or fails."""
    root = cache_root()
    if root is None:
        return None
    entry = root / key
    staging = root / f".{key}.{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(build, staging)
        (staging / ".complete").write_text(FORMAT)
        try:
            staging.rename(entry)
        except OSError:  # another process stored the same build first
            shutil.rmtree(staging, ignore_errors=True)
        _prune(root)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return None
    return entry if (entry / ".complete").is_file() else None


def _prune(root: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for entry in root.iterdir():
        try:
            if entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue
