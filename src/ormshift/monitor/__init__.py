"""Health while work runs: probes, thresholds, alerts, Prometheus metrics, logs.

The Prometheus exporter (and prometheus_client with it) is imported on first use: most
commands never serve metrics, and every command pays for what this package imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ormshift.monitor.alerts import Alert, WebhookSink, log_alert
from ormshift.monitor.core import Monitor, MonitorAbort, Snapshot, Status
from ormshift.monitor.logs import bind_run_id, setup_logging
from ormshift.monitor.probes import (
    HostProbe,
    PoolProbe,
    PostgresProbe,
    Probe,
    ProbeError,
    RunProbe,
    RunStats,
)
from ormshift.monitor.sampler import Sampler, timeline
from ormshift.monitor.samples import Sample
from ormshift.monitor.thresholds import (
    ConfigError,
    Level,
    MonitorConfig,
    Rule,
    ThresholdSource,
    load_config,
    parse_config,
)

if TYPE_CHECKING:
    from ormshift.monitor.exporter import ExporterError, MonitorCollector, serve

_LAZY = {"ExporterError", "MonitorCollector", "serve"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ormshift.monitor import exporter  # noqa: PLC0415

        return getattr(exporter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Alert",
    "ConfigError",
    "ExporterError",
    "HostProbe",
    "Level",
    "Monitor",
    "MonitorAbort",
    "MonitorCollector",
    "MonitorConfig",
    "PoolProbe",
    "PostgresProbe",
    "Probe",
    "ProbeError",
    "Rule",
    "RunProbe",
    "RunStats",
    "Sample",
    "Sampler",
    "Snapshot",
    "Status",
    "ThresholdSource",
    "WebhookSink",
    "bind_run_id",
    "load_config",
    "log_alert",
    "parse_config",
    "serve",
    "setup_logging",
    "timeline",
]
