"""Reading and writing manifests: versioned JSON, checked on the way in."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import jsonschema

from ormshift.errors import ManifestError, OutputError
from ormshift.manifest.jsonschema import shipped_schema
from ormshift.manifest.model import FORMAT_VERSION, Manifest
from ormshift.manifest.serde import SerdeError, from_jsonable, to_jsonable
from ormshift.manifest.validate import problems


def dump(manifest: Manifest) -> str:
    """The manifest as JSON text; stable: the same manifest gives the same bytes."""
    data = to_jsonable(manifest)
    data["format_version"] = manifest.format_version  # always present, even at default
    ordered = {"format_version": data.pop("format_version"), **data}
    return json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"


def load_data(data: Any, origin: str = "manifest") -> Manifest:
    if not isinstance(data, dict):
        raise ManifestError(f"{origin}: a manifest is a JSON object; this is not one")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ManifestError(
            f"{origin}: format_version {version!r} is not supported (this ormshift reads "
            f"{FORMAT_VERSION}); extract the manifest again with this version"
        )
    validator = jsonschema.Draft202012Validator(shipped_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "$" + "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in error.path)
        raise ManifestError(f"{origin}: {where}: {error.message}")
    try:
        manifest = from_jsonable(Manifest, data)
    except SerdeError as exc:  # pragma: no cover - the JSON Schema catches these first
        raise ManifestError(f"{origin}: {exc}") from exc
    found = problems(manifest)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ManifestError(f"{origin}: {found[0]}{more}")
    return manifest


def load(text: str, origin: str = "manifest") -> Manifest:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{origin}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    return load_data(data, origin)


def read(path: Path) -> Manifest:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: no such file; give the path of a manifest") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read it ({exc.__class__.__name__})") from exc
    return load(text, str(path))


def check_writable(path: Path) -> None:
    """Fail before any work is done when ``path`` could not be written afterwards."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{path} is a directory; give a file name")
    if not parent.is_dir():
        raise OutputError(f"{path}: the directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{path}: the directory {parent} is not writable; choose another path")


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


def write(manifest: Manifest, path: Path) -> None:
    write_text_atomic(path, dump(manifest))
