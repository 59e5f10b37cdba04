"""Reading and writing the files a user names: one clear error each, nothing half-written."""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any, Literal

from ormshift.errors import OrmshiftError, OutputError


def read_text(path: Path, what: str, error: type[OrmshiftError]) -> str:
    """The text of ``path``, or ``error`` saying plainly why not."""
    try:
        return path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise error(f"{path}: no such {what} file") from exc
    except IsADirectoryError as exc:
        raise error(f"{path} is a directory; give the path of a {what} file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read it ({exc.__class__.__name__})") from exc


def read_data(
    path: Path, what: str, error: type[OrmshiftError], fmt: Literal["JSON", "TOML", "YAML"]
) -> Any:
    """The data of the ``fmt`` file ``path``, or ``error`` saying plainly why not."""
    return parse(read_text(path, what, error), fmt, str(path), error)


def parse(
    text: str, fmt: Literal["JSON", "TOML", "YAML"], origin: str, error: type[OrmshiftError]
) -> Any:
    """``text`` parsed as ``fmt``, or ``error``: ``{origin}: not valid {fmt} (where, why)``."""
    if fmt == "YAML":
        import yaml  # noqa: PLC0415  (on first use: most runs read no YAML)

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise error(f"{origin}: not valid YAML ({yaml_problem(exc)})") from exc
    try:
        return json.loads(text) if fmt == "JSON" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise error(f"{origin}: not valid JSON ({where})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{origin}: not valid TOML ({exc})") from exc


def yaml_problem(exc: Exception) -> str:
    """A PyYAML error in one line: what is wrong, and at which line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def check_writable(path: Path) -> None:
    """Fail before any work is done when ``path`` could not be written afterwards."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file name")
    if not parent.is_dir():
        raise OutputError(f"{path}: the directory {parent} does not exist; create it first")
    _check_can_create_in(parent, path)


def check_directory(path: Path) -> None:
    """Fail before any work is done when ``path`` could not be made (or used) as an
    output directory. Creates nothing."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a directory; give a directory")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{path}: {existing} is a file, not a directory; choose another path")
    _check_can_create_in(existing, path)


def _check_can_create_in(parent: Path, path: Path) -> None:
    try:  # permission bits do not tell everything (root, read-only mounts, /sys): try
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write in the directory {parent} ({exc.strerror}); choose another path"
        ) from exc


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` all at once: a reader sees the old file or the new one."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: the directory {parent} does not exist; create it first")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot write there ({exc.strerror}); choose another path"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(
            f"{path}: cannot write there ({exc.strerror}); choose another path"
        ) from exc
