"""The TypeORM sidecar: a Node process running the user's entities, over JSON lines."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormshift.dsn import normalize_url, redact
from ormshift.errors import OrmshiftError
from ormshift.extract.bridge import bridge_dir, node_executable
from ormshift.extract.tsc import compile_project
from ormshift.extract.typeorm import bridge_args

__all__ = ["Sidecar", "SidecarError", "SidecarReply"]


class SidecarError(OrmshiftError):
    """The TypeORM sidecar could not start, crashed, or did not answer in time."""


@dataclass(frozen=True)
class SidecarReply:
    ok: bool
    result: Any
    error: dict[str, Any] | None
    ms: float


class Sidecar:
    """``with Sidecar(project, url) as ts: ts.request({"op": "find", ...})``."""

    def __init__(
        self,
        project: Path,
        url: str,
        *,
        data_source: Path | None = None,
        timeout: float = 60,
        pool_size: int = 10,
    ) -> None:
        self.project = project.resolve()
        self.url = url
        self.timeout = timeout
        self._scratch = tempfile.TemporaryDirectory(prefix="ormshift-sidecar-")
        compiled = compile_project(self.project, Path(self._scratch.name))
        args = [
            *bridge_args(self.project, compiled, data_source, None),
            "--url",
            normalize_url(url),
        ]
        env = {
            **os.environ,
            "NODE_PATH": os.pathsep.join(str(p) for p in compiled.node_path),
            "TZ": "UTC",
            "ORMSHIFT_SIDECAR_POOL": str(pool_size),
        }
        env.pop("NODE_OPTIONS", None)
        self._proc = subprocess.Popen(
            [node_executable(), str(bridge_dir() / "sidecar.js"), *args],
            cwd=self.project,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        ready = self._read(timeout)
        if not ready.ok:
            self.close()
            raise SidecarError(f"the TypeORM sidecar failed to start: {ready.error}")

    def _pump(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _pump_err(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _read(self, timeout: float) -> SidecarReply:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty as exc:
            raise SidecarError(
                f"the TypeORM sidecar did not answer within {timeout:.0f} s"
            ) from exc
        if line is None:
            tail = redact(" ".join(s.strip() for s in self._stderr[-20:]))[-2000:]
            raise SidecarError(f"the TypeORM sidecar exited: {tail or 'no message'}")
        data = json.loads(line)
        return SidecarReply(
            bool(data.get("ok")),
            data.get("result"),
            data.get("error"),
            float(data.get("ms") or 0.0),
        )

    def request(self, message: dict[str, Any], *, timeout: float | None = None) -> SidecarReply:
        """Send one operation; its reply (result or TypeORM's error)."""
        with self._lock:
            if self._proc.stdin is None or self._proc.poll() is not None:
                raise SidecarError("the TypeORM sidecar is not running")
            payload = {**message, "id": next(self._ids)}
            self._proc.stdin.write(json.dumps(payload, default=str) + "\n")
            self._proc.stdin.flush()
            return self._read(timeout or self.timeout)

    def bench(self, message: dict[str, Any], n: int) -> list[float]:
        """Run one operation ``n`` times inside Node; per-run milliseconds."""
        reply = self.request(
            {"op": "bench", "n": n, "request": message}, timeout=max(self.timeout, n)
        )
        if not reply.ok:
            raise SidecarError(f"benchmark of {message.get('op')} failed in TypeORM: {reply.error}")
        return [float(x) for x in reply.result]

    def close(self) -> None:
        if self._proc.poll() is None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._scratch.cleanup()

    def __enter__(self) -> Sidecar:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
