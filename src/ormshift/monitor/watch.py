"""The host and one PostgreSQL server watched: probed once (what ``ormshift health``
reports), or sampled in the background while some work runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ormshift.dsn import connect
from ormshift.monitor.alerts import log_alert
from ormshift.monitor.core import Monitor, Snapshot
from ormshift.monitor.probes import HostProbe, PostgresProbe
from ormshift.monitor.sampler import Sampler
from ormshift.monitor.thresholds import ThresholdSource

#: how long the host probe samples the CPU, seconds
CPU_INTERVAL = 0.3


def check_once(url: str, config: Path | None = None) -> Snapshot:
    """The host and the PostgreSQL server at ``url`` probed once, each reading against
    the thresholds of ``config`` (a monitor TOML; built-in defaults when None). An
    unreachable server or a refused password is one `ConnectionFailed`, before any probe."""
    source = ThresholdSource(config)
    connect(url).close()
    probe = PostgresProbe(url)
    monitor = Monitor([HostProbe(cpu_interval=CPU_INTERVAL), probe], source, sinks=())
    try:
        return monitor.tick()
    finally:
        probe.close()


def snapshot_json(snap: Snapshot) -> dict[str, Any]:
    """``snap`` as ``ormshift health --json`` prints it."""
    return {
        "status": snap.level.label,
        "probes": [
            {"metric": s.metric, "value": s.value, "status": s.level.label} for s in snap.statuses
        ],
        "probe_errors": list(snap.probe_errors),
    }


@contextmanager
def watching(url: str) -> Iterator[Monitor]:
    """The host and the server at ``url`` sampled in the background until the block
    ends (alerts logged); the monitor's ``history`` holds the readings. An unreachable
    server is one `ConnectionFailed`, before anything starts."""
    connect(url).close()
    probe = PostgresProbe(url)
    monitor = Monitor([HostProbe(), probe], sinks=(log_alert,))
    try:
        with Sampler(monitor):
            yield monitor
    finally:
        probe.close()
