"""`pip install ormshift` is all it takes: a wheel built from this repository, installed
into a fresh virtual environment away from the checkout, extracts a corpus project
(installing the bridge's Node packages into its cache on first use) and generates models
that configure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ..conftest import CORPUS, ROOT

pytestmark = pytest.mark.node

#: what a source tree needs to build the wheel (never node_modules or build output)
_SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "bridge")
_IGNORE = shutil.ignore_patterns("node_modules", "__pycache__", "*.egg-info", "build", "dist")


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def clean_env(tmp: Path) -> dict[str, str]:
    """The user's environment less anything that points back into the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "ORMSHIFT_BRIDGE", "VIRTUAL_ENV", "NODE_PATH"}
    }
    env["ORMSHIFT_CACHE_DIR"] = str(tmp / "cache")  # a first use: the bridge installs itself
    return env


def test_installed_wheel_extracts_and_generates(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in _SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=_IGNORE)
        else:
            shutil.copyfile(path, source / name)
    env = clean_env(tmp_path)
    wheels = tmp_path / "wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), "."],
        source,
        env,
    )
    (wheel,) = wheels.glob("ormshift-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {
        "ormshift/_bridge/extract.js",
        "ormshift/_bridge/lib/load.js",
        "ormshift/_bridge/package.json",
        "ormshift/_bridge/package-lock.json",
    } <= names
    assert not any("node_modules" in n for n in names)

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    python, ormshift = venv / "bin" / "python", venv / "bin" / "ormshift"
    run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, env)

    project = tmp_path / "blog"
    shutil.copytree(CORPUS / "blog", project)
    work = tmp_path / "work"
    work.mkdir()
    extracted = run([str(ormshift), "extract", str(project), "-o", "blog.json"], work, env)
    assert "installing the Node bridge's packages" in extracted.stderr
    cached = list((tmp_path / "cache" / "bridge").glob("*/node_modules/typeorm/package.json"))
    assert len(cached) == 1, cached
    # the second run finds them installed
    again = run([str(ormshift), "extract", str(project), "-o", "again.json"], work, env)
    assert "installing" not in again.stderr
    assert (work / "again.json").read_text() == (work / "blog.json").read_text()

    run([str(ormshift), "generate", "blog.json", "-o", "blog_models"], work, env)
    check = (
        "import sqlalchemy.orm, blog_models, ormshift;"
        "sqlalchemy.orm.configure_mappers();"
        "print(ormshift.__file__, len(blog_models.Base.metadata.tables))"
    )
    out = run([str(python), "-c", check], work, env).stdout.split()
    assert Path(out[0]).is_relative_to(venv), out  # the installed copy, not the checkout
    assert int(out[1]) >= 3
