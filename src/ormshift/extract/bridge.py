"""Where the Node bridge lives, and running its scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormshift.errors import ExtractError, ToolMissingError


def bridge_dir() -> Path:
    """The bridge package: ``$ORMSHIFT_BRIDGE`` or ``bridge/`` beside ``src/``."""
    env = os.environ.get("ORMSHIFT_BRIDGE")
    here = Path(env) if env else Path(__file__).resolve().parents[3] / "bridge"
    if not (here / "extract.js").is_file():
        raise ToolMissingError(
            f"the ormshift Node bridge is not at {here}; set ORMSHIFT_BRIDGE to its directory"
        )
    return here


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolMissingError(
            "node is not installed or not on PATH: install Node.js 20 or newer and run again"
        )
    return node


def bridge_modules() -> Path:
    modules = bridge_dir() / "node_modules"
    if not (modules / "typeorm" / "package.json").is_file():
        hint = "run 'npm ci' in " + str(bridge_dir())
        if shutil.which("npm") is None:
            hint = "install Node.js with npm, then " + hint
        raise ToolMissingError(f"the bridge's Node packages are not installed: {hint}")
    return modules


@dataclass(frozen=True)
class BridgeFailure:
    kind: str
    message: str


def run_script(
    script: str, args: list[str], *, node_path: list[Path], cwd: Path, timeout: float = 300
) -> str | BridgeFailure:
    """Run ``bridge/<script>``; its stdout on success, its structured error otherwise."""
    env = {**os.environ, "NODE_PATH": os.pathsep.join(str(p) for p in node_path)}
    env.pop("NODE_OPTIONS", None)
    try:
        proc = subprocess.run(
            [node_executable(), str(bridge_dir() / script), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractError(
            f"the Node bridge ({script}) took over {timeout:.0f} s; gave up"
        ) from exc
    if proc.returncode == 0:
        return proc.stdout
    for line in reversed(proc.stderr.strip().splitlines()):
        try:
            data: Any = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            err = data["error"]
            return BridgeFailure(str(err.get("kind", "error")), str(err.get("message", "")))
    tail = " ".join(proc.stderr.strip().splitlines()[-3:])[:500]
    return BridgeFailure("crash", tail or f"exit code {proc.returncode}")
