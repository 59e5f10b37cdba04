"""Reading and writing manifests: versioned JSON, checked on the way in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ormshift.errors import ManifestError
from ormshift.files import check_writable, parse, read_text, write_text_atomic
from ormshift.manifest.jsonschema import shipped_schema
from ormshift.manifest.model import FORMAT_VERSION, READABLE_VERSIONS, Manifest
from ormshift.manifest.serde import SerdeError, from_jsonable, to_jsonable
from ormshift.manifest.validate import problems

__all__ = ["check_writable", "dump", "load", "load_data", "read", "write", "write_text_atomic"]


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
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        readable = " and ".join(str(v) for v in READABLE_VERSIONS)
        raise ManifestError(
            f"{origin}: format_version {version!r} is not supported (this ormshift reads "
            f"{readable}); extract the manifest again with this version"
        )
    if version != FORMAT_VERSION:
        data = {**data, "format_version": FORMAT_VERSION}  # the older form is a subset
    import jsonschema  # noqa: PLC0415  (on first use: most commands never validate)

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
    return load_data(parse(text, "JSON", origin, ManifestError), origin)


def read(path: Path) -> Manifest:
    return load(read_text(path, "manifest", ManifestError), str(path))


def write(manifest: Manifest, path: Path) -> None:
    write_text_atomic(path, dump(manifest))
