"""Installing a real-world app from npm once, into a cache kept between runs.

An app's folder is copied to ``<cache>/realworld/<name>-<lockfile hash>/`` and
``npm ci --ignore-scripts`` installs its pinned packages there; later runs find them
(a ``.installed`` stamp) and only refresh the glue files; a new lockfile's install
replaces the old one. The cache is ormshift's (``$ORMSHIFT_CACHE_DIR`` or
``~/.cache/ormshift``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from ormshift.extract.cache import cache_base

from .apps import App

_STAMP = ".installed"


def _lock_key(source: Path) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((source / name).read_bytes())
    return digest.hexdigest()[:12]


def _copy_glue(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)


def install(app: App) -> Path:
    """The app's folder with its node_modules installed (from the cache when it can)."""
    home = cache_base() / "realworld" / f"{app.name}-{_lock_key(app.source)}"
    if not (home / _STAMP).is_file():
        staging = home.with_name(f".{home.name}.{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        _copy_glue(app.source, staging)
        proc = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert proc.returncode == 0, f"npm ci of {app.name} failed: {proc.stderr[-2000:]}"
        (staging / _STAMP).write_text("")
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
        for old in home.parent.glob(f"{app.name}-*"):  # installs of earlier lockfiles
            if old != home:
                shutil.rmtree(old, ignore_errors=True)
    _copy_glue(app.source, home)
    return home
