"""Finding things the way Node and tsc find them from a project, without running them.

* `find_package`: a package as ``require()`` would find it from a directory: the first
  ``node_modules/<name>`` walking up (hoisted monorepos, workspaces; pnpm's symlinks are
  followed to their real place).
* `effective_options`: a tsconfig's ``compilerOptions`` after its ``extends`` chain, with
  every path-valued option made absolute against the config that declares it, as tsc does.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ormshift.errors import ExtractError

#: compilerOptions whose values are paths, resolved against the declaring config's folder
_PATH_OPTIONS = ("rootDir", "outDir", "baseUrl")


def find_package(start: Path, name: str) -> Path | None:
    """The folder of package ``name`` as Node resolves it from ``start``; None if absent."""
    for folder in (start, *start.parents):
        candidate = folder / "node_modules" / name
        if (candidate / "package.json").is_file():
            return candidate.resolve()
    return None


def package_version(folder: Path) -> str | None:
    try:
        data = json.loads((folder / "package.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


def major_minor(version: str) -> tuple[int, int] | None:
    m = re.match(r"^\D*(\d+)\.(\d+)", version)
    return (int(m[1]), int(m[2])) if m else None


def read_tsconfig(path: Path) -> dict[str, Any]:
    """tsconfig.json allows comments and trailing commas; strip them, then parse."""
    text = path.read_text("utf-8")
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    cleaned = re.sub(r",(\s*[}\]])", r"\1", "".join(out))
    try:
        data = json.loads(cleaned)
    except json.JSONDecodeError as exc:
        raise ExtractError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise ExtractError(f"{path}: expected a JSON object")
    return data


@dataclass(frozen=True)
class TsOptions:
    """The options ormshift needs, after ``extends``; paths absolute."""

    root_dir: Path | None = None
    out_dir: Path | None = None
    base_url: Path | None = None
    type_roots: tuple[Path, ...] | None = None
    #: alias pattern -> absolute substitution patterns
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: every config file read (the project's first)
    files: tuple[Path, ...] = ()
    #: whether some config of the chain says ``include`` or ``files`` / ``exclude``
    declares_inputs: bool = False
    declares_exclude: bool = False


def _extended(config: Path, target: str) -> Path | None:
    if target.startswith((".", "/")):
        path = (config.parent / target).resolve()
        if path.is_dir():
            path = path / "tsconfig.json"
        if not path.is_file() and path.suffix != ".json":
            path = path.with_name(path.name + ".json")
        return path if path.is_file() else None
    # a package: "@tsconfig/node20/tsconfig.json" or "@tsconfig/node20"
    parts = target.split("/")
    name_len = 2 if target.startswith("@") else 1
    package = find_package(config.parent, "/".join(parts[:name_len]))
    if package is None:
        return None
    rest = "/".join(parts[name_len:]) or "tsconfig.json"
    path = package / rest
    if not path.is_file() and path.suffix != ".json":
        path = path.with_name(path.name + ".json")
    return path if path.is_file() else None


def effective_options(tsconfig: Path) -> TsOptions:
    """``compilerOptions`` of ``tsconfig`` merged over everything it extends."""
    chain: list[Path] = []

    def walk(config: Path) -> None:
        if config in chain or len(chain) > 20:
            return
        data = read_tsconfig(config)
        base = data.get("extends")
        for target in base if isinstance(base, list) else [base] if base else []:
            found = _extended(config, str(target))
            if found is not None:
                walk(found)
        chain.append(config)

    walk(tsconfig.resolve())
    values: dict[str, Any] = {}
    inputs = exclude = False
    for config in chain:  # the most basic first; later ones override
        data = read_tsconfig(config)
        inputs = inputs or "include" in data or "files" in data
        exclude = exclude or "exclude" in data
        options = data.get("compilerOptions") or {}
        for key in _PATH_OPTIONS:
            if isinstance(options.get(key), str):
                values[key] = (config.parent / options[key]).resolve()
        if isinstance(options.get("typeRoots"), list):
            values["typeRoots"] = tuple(
                (config.parent / str(p)).resolve() for p in options["typeRoots"]
            )
        if isinstance(options.get("paths"), dict):
            values["paths"] = (config.parent, options["paths"])
    paths: dict[str, tuple[str, ...]] = {}
    if "paths" in values:
        declared_in, raw = values["paths"]
        base = values.get("baseUrl", declared_in)
        for pattern, subs in raw.items():
            if isinstance(subs, list):
                paths[str(pattern)] = tuple(os.path.normpath(base / str(s)) for s in subs)
    return TsOptions(
        root_dir=values.get("rootDir"),
        out_dir=values.get("outDir"),
        base_url=values.get("baseUrl"),
        type_roots=values.get("typeRoots"),
        paths=paths,
        files=tuple(reversed(chain)),
        declares_inputs=inputs,
        declares_exclude=exclude,
    )


def default_type_roots(folder: Path) -> tuple[Path, ...]:
    """tsc's default ``typeRoots`` for a config in ``folder``: every ``node_modules/@types``
    from there up."""
    return tuple(
        d / "node_modules" / "@types"
        for d in (folder, *folder.parents)
        if (d / "node_modules" / "@types").is_dir()
    )
