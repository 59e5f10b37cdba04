"""Health checks between batches: any probe asking to pause pauses; a critical one aborts.

A `Probe` is anything with a ``name`` and a ``check()`` returning a `Reading`. The
engine calls `Throttle.wait` before each batch, so a pause or an abort always falls
between two committed batches and the ledger stays consistent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import psutil
import psycopg

from ormshift.transfer.errors import TransferAborted

Level = Literal["ok", "pause", "critical"]


@dataclass(frozen=True)
class Reading:
    level: Level
    detail: str = ""


OK = Reading("ok")


class Probe(Protocol):
    name: str

    def check(self) -> Reading: ...


def _level(value: float, pause: float | None, critical: float | None) -> Level:
    if critical is not None and value >= critical:
        return "critical"
    if pause is not None and value >= pause:
        return "pause"
    return "ok"


@dataclass
class HostProbe:
    """Host CPU and memory use, in percent."""

    max_cpu: float | None = None
    critical_cpu: float | None = None
    max_memory: float | None = None
    critical_memory: float | None = None
    name: str = "host"

    def __post_init__(self) -> None:
        psutil.cpu_percent(interval=None)  # start the measuring window

    def check(self) -> Reading:
        worst = OK
        if self.max_memory is not None or self.critical_memory is not None:
            mem = psutil.virtual_memory().percent
            lvl = _level(mem, self.max_memory, self.critical_memory)
            if lvl != "ok":
                worst = Reading(lvl, f"host memory {mem:.0f}% used")
        if worst.level != "critical" and (
            self.max_cpu is not None or self.critical_cpu is not None
        ):
            cpu = psutil.cpu_percent(interval=None)  # since the previous check
            lvl = _level(cpu, self.max_cpu, self.critical_cpu)
            if lvl == "critical" or (lvl == "pause" and worst.level == "ok"):
                worst = Reading(lvl, f"host CPU {cpu:.0f}% busy")
        return worst


@dataclass
class ConnectionsProbe:
    """Active connections on the target server (other than this one)."""

    conn: psycopg.Connection
    max_active: int | None = None
    critical_active: int | None = None
    name: str = "target-connections"

    def check(self) -> Reading:
        row = self.conn.execute(
            "select count(*) from pg_stat_activity where state = 'active'"
            " and pid <> pg_backend_pid()"
        ).fetchone()
        active = int(row[0]) if row else 0
        lvl = _level(active, self.max_active, self.critical_active)
        return OK if lvl == "ok" else Reading(lvl, f"{active} active connections on the target")


@dataclass
class FlagFileProbe:
    """Pause while ``path`` exists (as gh-ost's throttle flag file)."""

    path: Path
    name: str = "pause-file"

    def check(self) -> Reading:
        if self.path.exists():
            return Reading("pause", f"pause file {self.path} exists")
        return OK


class Throttle:
    def __init__(
        self,
        probes: Sequence[Probe],
        *,
        interval: float = 1.0,
        on_pause: Callable[[str], None] | None = None,
        on_resume: Callable[[], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.probes = tuple(probes)
        self.interval = interval
        self.on_pause = on_pause
        self.on_resume = on_resume
        self.sleep = sleep
        self.paused_seconds = 0.0

    def _reading(self) -> tuple[str, Reading]:
        worst: tuple[str, Reading] = ("", OK)
        for probe in self.probes:
            r = probe.check()
            if r.level == "critical":
                return probe.name, r
            if r.level == "pause" and worst[1].level == "ok":
                worst = (probe.name, r)
        return worst

    def wait(self) -> None:
        """Return when every probe is clear; raise `TransferAborted` on a critical one."""
        paused_at: float | None = None
        while True:
            name, reading = self._reading()
            if reading.level == "critical":
                raise TransferAborted(
                    f"critical health threshold reached ({name}: {reading.detail}); the run "
                    "stopped between batches and can be resumed with --resume once it clears"
                )
            if reading.level == "ok":
                if paused_at is not None:
                    self.paused_seconds += time.monotonic() - paused_at
                    if self.on_resume:
                        self.on_resume()
                return
            if paused_at is None:
                paused_at = time.monotonic()
                if self.on_pause:
                    self.on_pause(f"{name}: {reading.detail}")
            self.sleep(self.interval)


@dataclass(frozen=True)
class ThrottleSettings:
    """Thresholds from the command line; `probes` builds the probes they ask for."""

    pause_file: Path | None = None
    max_cpu: float | None = None
    critical_cpu: float | None = None
    max_memory: float | None = None
    critical_memory: float | None = None
    max_connections: int | None = None
    critical_connections: int | None = None
    interval: float = 1.0

    def probes(self, target: psycopg.Connection) -> list[Probe]:
        out: list[Probe] = []
        if self.pause_file is not None:
            out.append(FlagFileProbe(self.pause_file))
        if any(
            v is not None
            for v in (self.max_cpu, self.critical_cpu, self.max_memory, self.critical_memory)
        ):
            out.append(
                HostProbe(self.max_cpu, self.critical_cpu, self.max_memory, self.critical_memory)
            )
        if self.max_connections is not None or self.critical_connections is not None:
            out.append(ConnectionsProbe(target, self.max_connections, self.critical_connections))
        return out
