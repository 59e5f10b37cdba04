"""Health while work runs: probes, thresholds, alerts, Prometheus metrics, logs.

Every name is imported on first use (psycopg, psutil and prometheus_client with it):
most commands never watch anything, and every command pays for what this package
imports at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ormshift.monitor.alerts import Alert, WebhookSink, log_alert
    from ormshift.monitor.core import Monitor, MonitorAbort, Snapshot, Status
    from ormshift.monitor.exporter import ExporterError, MonitorCollector, serve
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
    from ormshift.monitor.watch import check_once, snapshot_json, watching

#: where each name lives; a submodule is imported when one of its names is first used
_HOMES = {
    "alerts": ("Alert", "WebhookSink", "log_alert"),
    "core": ("Monitor", "MonitorAbort", "Snapshot", "Status"),
    "exporter": ("ExporterError", "MonitorCollector", "serve"),
    "logs": ("bind_run_id", "setup_logging"),
    "probes": ("HostProbe", "PoolProbe", "PostgresProbe", "Probe", "ProbeError", "RunProbe",
               "RunStats"),
    "sampler": ("Sampler", "timeline"),
    "samples": ("Sample",),
    "thresholds": ("ConfigError", "Level", "MonitorConfig", "Rule", "ThresholdSource",
                   "load_config", "parse_config"),
    "watch": ("check_once", "snapshot_json", "watching"),
}  # fmt: skip
_LAZY = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
    "check_once",
    "load_config",
    "log_alert",
    "parse_config",
    "serve",
    "setup_logging",
    "snapshot_json",
    "timeline",
    "watching",
]
