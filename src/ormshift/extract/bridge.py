"""Where the Node bridge lives, its Node packages, and running its scripts.

The bridge's JavaScript ships inside the wheel (``ormshift/_bridge``); in a checkout it
is ``bridge/`` beside ``src/``. Its Node packages (typeorm, typescript, pg,
reflect-metadata: about 60 MB) are not vendored into the wheel: a checkout has them in
``bridge/node_modules`` (``npm ci``), an installed wheel installs them on first use with
``npm ci`` from the shipped lockfile into the user cache (``<cache>/bridge/<lock hash>``,
see :func:`ormshift.extract.cache.cache_base`), once per lockfile.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormshift.errors import ExtractError, ToolMissingError
from ormshift.extract.cache import cache_base

#: files of the bridge that npm needs to install its packages
_NPM_FILES = ("package.json", "package-lock.json")


def _candidates() -> list[Path]:
    env = os.environ.get("ORMSHIFT_BRIDGE")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve()
    return [here.parents[1] / "_bridge", here.parents[3] / "bridge"]


def bridge_dir() -> Path:
    """The bridge package: ``$ORMSHIFT_BRIDGE``, the wheel's copy, or the checkout's."""
    candidates = _candidates()
    for here in candidates:
        if (here / "extract.js").is_file():
            return here
    raise ToolMissingError(
        f"the ormshift Node bridge is not at {candidates[-1]}; set ORMSHIFT_BRIDGE to its directory"
    )


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolMissingError(
            "node is not installed or not on PATH: install Node.js 20 or newer and run again"
        )
    return node


def run_node(
    args: list[str], what: str, cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``node args...``, its output captured; an `ExtractError` after ``timeout`` seconds."""
    try:
        return subprocess.run(
            [node_executable(), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ExtractError(f"{what} took over {timeout:.0f} s; gave up") from exc


def _installed(modules: Path) -> bool:
    return (modules / "typeorm" / "package.json").is_file()


def _cached_modules(bridge: Path) -> Path:
    """Where the packages of ``bridge``'s lockfile go in the user cache."""
    digest = hashlib.sha256()
    for name in _NPM_FILES:
        digest.update((bridge / name).read_bytes())
    return cache_base() / "bridge" / digest.hexdigest()[:16] / "node_modules"


def _npm_install(bridge: Path, modules: Path) -> None:
    """``npm ci`` of the bridge's lockfile into ``modules`` (staged, then renamed)."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolMissingError(
            "the bridge's Node packages are not installed and npm is not on PATH: install "
            "Node.js 20 or newer with npm and run again"
        )
    home = modules.parent
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f".{home.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name in _NPM_FILES:
        shutil.copyfile(bridge / name, staging / name)
    print(
        f"ormshift: installing the Node bridge's packages (npm ci) into {home}, once ...",
        file=sys.stderr,
        flush=True,
    )
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error", "--omit=dev"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0 or not _installed(staging / "node_modules"):
        shutil.rmtree(staging, ignore_errors=True)
        tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])[:500]
        raise ToolMissingError(
            f"npm ci of the ormshift bridge failed (exit {proc.returncode}): {tail}; the "
            f"packages it needs are listed in {bridge / 'package-lock.json'}"
        )
    try:
        staging.rename(home)
    except OSError:  # another process installed it first
        shutil.rmtree(staging, ignore_errors=True)
        if not _installed(modules):
            raise


def bridge_modules() -> Path:
    """The bridge's ``node_modules``: beside it when installed there (a checkout after
    ``npm ci``), otherwise in the user cache, installed there on first use."""
    bridge = bridge_dir()
    local = bridge / "node_modules"
    if _installed(local):
        return local
    if not all((bridge / name).is_file() for name in _NPM_FILES):
        raise ToolMissingError(
            f"the bridge's Node packages are not installed: run 'npm ci' in {bridge}"
        )
    cached = _cached_modules(bridge)
    if not _installed(cached):
        _npm_install(bridge, cached)
    return cached


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
    proc = run_node(
        [str(bridge_dir() / script), *args], f"the Node bridge ({script})", cwd, timeout, env
    )
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
