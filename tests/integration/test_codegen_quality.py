"""The generated packages pass ``ruff check``, ``ruff format --check`` and
``mypy --strict``, run as a user would run them, outside this repository's settings: for
every corpus set (test_codegen_golden checks that each has its stored manifest)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ormshift.codegen import write_package

from ..golden.support import GOLDEN_SETS, generated

RUFF = Path(sys.executable).parent / "ruff"
RULES = "E,F,W,I,B,UP,SIM,RUF,N"  # N: pep8-naming (attributes in snake case)


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    for name in GOLDEN_SETS:
        write_package(generated(name), root / f"{name}_models")
    return root


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def test_ruff_check(packages: Path) -> None:
    # RUF012 wants ClassVar on __mapper_args__, which SQLAlchemy's own docs never use
    result = run(
        [str(RUFF), "check", "--isolated", "--select", RULES, "--ignore", "RUF012", "."],
        packages,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format(packages: Path) -> None:
    result = run([str(RUFF), "format", "--isolated", "--check", "."], packages)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict(packages: Path) -> None:
    names = [f"{n}_models" for n in GOLDEN_SETS]
    result = run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *names], packages)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_no_todo_left(packages: Path) -> None:
    for path in packages.rglob("*.py"):
        assert "TODO" not in path.read_text("utf-8"), path
