"""The public ORM API is typed: a ported service (tests/typed/ported_service.py) passes
``mypy --strict`` with no ``Any``, cast or ignore, and every call with a wrong type in
tests/typed/wrong_types.py is an error, so a signature that loses its types (``Any``
where ``list[Post]`` was) fails here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPED = ROOT / "tests" / "typed"
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: ")


def _mypy(*files: Path) -> list[tuple[str, int]]:
    """(file name, line) of each error ``mypy --strict`` reports in ``files`` (the
    modules they import are checked for types, their own errors not reported)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    cache = Path(tempfile.gettempdir()) / "ormshift-mypy-typed"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(cache),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    found = [_ERROR.match(line) for line in done.stdout.splitlines()]
    return [(Path(m["file"]).name, int(m["line"])) for m in found if m]


def test_ported_service_is_clean_and_wrong_types_fail() -> None:
    errors = _mypy(TYPED / "ported_service.py", TYPED / "wrong_types.py")
    assert [e for e in errors if e[0] != "wrong_types.py"] == []
    wrong = TYPED / "wrong_types.py"
    marked = [
        i for i, line in enumerate(wrong.read_text().splitlines(), 1) if line.endswith("# wrong")
    ]
    assert len(marked) > 10
    assert sorted({line for _, line in errors}) == marked
