"""Prometheus: a custom collector read at scrape time, names in the ``ormshift_``
namespace, counters (``_total``) kept apart from gauges."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ormshift.errors import OrmshiftError
from ormshift.monitor.core import Monitor

NAMESPACE = "ormshift"


class ExporterError(OrmshiftError):
    """The metrics endpoint cannot be served."""


def _metric_name(name: str) -> str:
    return f"{NAMESPACE}_{re.sub(r'[^a-zA-Z0-9_]', '_', name)}"


class MonitorCollector(Collector):
    """Runs the monitor's probes on each scrape and exposes what they read."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        snap = self.monitor.tick()
        families: dict[str, Any] = {}
        for sample in snap.samples:
            labels = dict(sample.labels)
            if sample.kind == "counter":
                base = _metric_name(sample.name.removesuffix("_total"))
                fam = families.get(base)
                if fam is None:
                    fam = families[base] = CounterMetricFamily(
                        base, sample.help or sample.name, labels=sorted(labels)
                    )
            else:
                base = _metric_name(sample.name)
                fam = families.get(base)
                if fam is None:
                    fam = families[base] = GaugeMetricFamily(
                        base, sample.help or sample.name, labels=sorted(labels)
                    )
            fam.add_metric([labels[k] for k in sorted(labels)], sample.value)
        level = GaugeMetricFamily(
            _metric_name("threshold_level"),
            "0 ok, 1 warn, 2 throttle, 3 pause, 4 abort",
            labels=["metric"],
        )
        for status in snap.statuses:
            level.add_metric([status.metric], float(status.level))
        yield from families.values()
        yield level
        yield CounterMetricFamily(
            _metric_name("probe_errors"), "probe failures", value=self.monitor.probe_errors_total
        )
        yield CounterMetricFamily(
            _metric_name("alerts"), "alerts raised", value=self.monitor.alerts_total
        )


def check_port(port: int) -> None:
    """`ExporterError` unless ``port`` is a TCP port one can listen on (1-65535)."""
    if not 1 <= port <= 65535:
        raise ExporterError(f"--metrics-port {port}: give a TCP port from 1 to 65535")


def serve(monitor: Monitor, port: int, addr: str = "127.0.0.1") -> CollectorRegistry:
    """Serve ``/metrics`` on ``addr:port`` in a background thread."""
    check_port(port)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(monitor))
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise ExporterError(
            f"cannot serve metrics on {addr}:{port} ({exc.strerror}); pick another --metrics-port"
        ) from exc
    return registry
