"""Compiling a TypeORM project's TypeScript with its own tsconfig, into a scratch dir.

The project is never written to: output goes to a temporary directory, through a
tsconfig that extends the project's and only moves the output and maps ``typeorm`` to
the bridge's copy when the project has none of its own.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormshift.errors import ExtractError
from ormshift.extract import cache
from ormshift.extract.bridge import bridge_modules, node_executable

_TS_ERROR = re.compile(r"^(?P<loc>.+?\(\d+,\d+\)): error (?P<code>TS\d+): (?P<msg>.*)$")


@dataclass(frozen=True)
class Compiled:
    root_dir: Path
    out_dir: Path
    node_path: tuple[Path, ...]


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


def project_modules(project: Path) -> Path | None:
    modules = project / "node_modules"
    return modules if (modules / "typeorm" / "package.json").is_file() else None


def node_path_for(project: Path) -> tuple[Path, ...]:
    own = project_modules(project)
    bridge = bridge_modules()
    return (own, bridge) if own else (bridge,)


def compile_project(project: Path, scratch: Path, timeout: float = 600) -> Compiled:
    """Compile ``project`` (or reuse the build of identical sources from the cache)."""
    tsconfig = project / "tsconfig.json"
    node_path = node_path_for(project)
    if not tsconfig.is_file():
        # An already-compiled JavaScript project: load it where it is.
        return Compiled(root_dir=project, out_dir=project, node_path=node_path)
    options = read_tsconfig(tsconfig).get("compilerOptions", {})
    root = project / str(options.get("rootDir", "."))
    own_tsc = project / "node_modules" / "typescript" / "bin" / "tsc"
    tsc = own_tsc if own_tsc.is_file() else bridge_modules() / "typescript" / "bin" / "tsc"
    key = cache.build_key(project, tsc, own_typeorm=project_modules(project) is not None)
    cached = cache.lookup(key)
    if cached is not None:
        return Compiled(root_dir=root.resolve(), out_dir=cached, node_path=node_path)
    out_dir = scratch / "build"
    compiler: dict[str, Any] = {
        "outDir": str(out_dir),
        "rootDir": str(root.resolve()),
        "noEmit": False,
        "declaration": False,
        "declarationMap": False,
        "sourceMap": False,
        "composite": False,
        "incremental": False,
        "tsBuildInfoFile": None,
    }
    if project_modules(project) is None:
        bridge = bridge_modules()
        paths = dict(options.get("paths") or {})
        for name in ("typeorm", "reflect-metadata"):
            paths.setdefault(name, [str(bridge / name)])
            paths.setdefault(f"{name}/*", [str(bridge / name / "*")])
        compiler["paths"] = paths
        compiler["typeRoots"] = [str(bridge / "@types"), str(project / "node_modules" / "@types")]
    config = {"extends": str(tsconfig.resolve()), "compilerOptions": compiler}
    scratch_config = scratch / "tsconfig.ormshift.json"
    scratch_config.write_text(json.dumps(config, indent=2), "utf-8")
    try:
        proc = subprocess.run(
            [node_executable(), str(tsc), "-p", str(scratch_config)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractError(f"tsc took over {timeout:.0f} s on {project}; gave up") from exc
    if proc.returncode != 0:
        raise ExtractError(_compile_failure(proc.stdout + proc.stderr, project))
    stored = cache.store(key, out_dir)
    return Compiled(root_dir=root.resolve(), out_dir=stored or out_dir, node_path=node_path)


def _compile_failure(output: str, project: Path) -> str:
    errors = []
    for line in output.splitlines():
        m = _TS_ERROR.match(line.strip())
        if m:
            errors.append(f"{m['loc']}: {m['code']} {m['msg']}")
    if not errors:
        first = next((ln.strip() for ln in output.splitlines() if ln.strip()), "no output")
        return f"TypeScript compilation of {project} failed: {first}"
    shown = "; ".join(errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return (
        f"TypeScript compilation of {project} failed with {len(errors)} error(s): {shown}{more}. "
        "Fix them and run again"
    )
