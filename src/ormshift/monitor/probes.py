"""Probes: each cheap and independent, each returns `Sample`s.

A probe that fails raises `ProbeError`; the monitor records that and goes on, so a
broken probe never stops the work it watches.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import psutil
import psycopg

from ormshift.dsn import redact
from ormshift.errors import OrmshiftError
from ormshift.monitor.samples import Sample


class ProbeError(OrmshiftError):
    """A probe could not read its source."""


class Probe(Protocol):
    name: str

    def collect(self) -> list[Sample]: ...


def _cpu_busy_total() -> tuple[float, float]:
    """Seconds of CPU time spent busy, and in all, since boot (all CPUs)."""
    times = psutil.cpu_times()
    total = sum(times)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


@dataclass
class HostProbe:
    """The host and this process: CPU, memory, disk and network I/O (psutil)."""

    name: str = "host"
    disk_path: str = "/"
    cpu_interval: float | None = None
    #: CPU use is averaged over at least this many seconds: over a few milliseconds it is
    #: 0 or 100 and would make thresholds flap
    cpu_window: float = 1.0
    _process: psutil.Process = field(default_factory=psutil.Process, repr=False)
    _cpu_mark: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0), repr=False)
    _cpu_value: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._cpu_mark = (time.monotonic(), *_cpu_busy_total())

    def _cpu_percent(self) -> float:
        """Busy share of all CPUs since this probe's previous window (its own baseline:
        psutil's ``cpu_percent(None)`` keeps one per process, shared by every caller)."""
        if self.cpu_interval:
            return float(psutil.cpu_percent(interval=self.cpu_interval))
        now = time.monotonic()
        if now - self._cpu_mark[0] >= self.cpu_window:
            busy, total = _cpu_busy_total()
            d_total = total - self._cpu_mark[2]
            if d_total > 0:
                self._cpu_value = max(0.0, min(100.0, 100.0 * (busy - self._cpu_mark[1]) / d_total))
            self._cpu_mark = (now, busy, total)
        return self._cpu_value

    def collect(self) -> list[Sample]:
        mem = psutil.virtual_memory()
        out = [
            Sample(
                "host_cpu_percent",
                self._cpu_percent(),
                help="host CPU busy over the last window (at least cpu_window seconds)",
            ),
            Sample("host_memory_percent", mem.percent, help="host memory in use"),
            Sample("host_memory_available_bytes", float(mem.available)),
            Sample("host_disk_free_bytes", float(psutil.disk_usage(self.disk_path).free)),
            Sample("process_resident_memory_bytes", float(self._process.memory_info().rss)),
            Sample("process_cpu_seconds_total", sum(self._process.cpu_times()[:2]), "counter"),
        ]
        disk = psutil.disk_io_counters()
        if disk is not None:
            out += [
                Sample("host_disk_read_bytes_total", float(disk.read_bytes), "counter"),
                Sample("host_disk_written_bytes_total", float(disk.write_bytes), "counter"),
            ]
        net = psutil.net_io_counters()
        if net is not None:
            out += [
                Sample("host_network_received_bytes_total", float(net.bytes_recv), "counter"),
                Sample("host_network_sent_bytes_total", float(net.bytes_sent), "counter"),
            ]
        return out


_PG_ACTIVITY = """
select
  count(*) filter (where state = 'active' and pid <> pg_backend_pid()) as active,
  count(*) filter (where state like 'idle in transaction%%') as idle_in_transaction,
  count(*) as connections,
  coalesce(max(extract(epoch from now() - xact_start))
           filter (where xact_start is not null and pid <> pg_backend_pid()), 0) as longest_tx
from pg_stat_activity where datname = current_database()
"""
_PG_LOCKS = "select count(*) from pg_locks where not granted"
_PG_LAG = """
select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0),
       coalesce(max(extract(epoch from replay_lag)), 0), count(*)
from pg_stat_replication
"""
_PG_SIZE = "select pg_database_size(current_database())"


@dataclass
class PostgresProbe:
    """PostgreSQL itself: connections, waiting locks, longest transaction, replication
    lag, database size (and its growth since the previous reading)."""

    url: str
    name: str = "postgres"
    label: str = "target"
    _conn: psycopg.Connection | None = field(default=None, repr=False)
    _last_size: tuple[float, float] | None = field(default=None, repr=False)

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
            except psycopg.Error as exc:
                raise ProbeError(f"postgres probe cannot connect to {redact(self.url)}") from exc
        return self._conn

    def collect(self) -> list[Sample]:
        labels = (("db", self.label),)
        try:
            conn = self._connection()
            act = conn.execute(_PG_ACTIVITY).fetchone()
            locks = conn.execute(_PG_LOCKS).fetchone()
            lag = conn.execute(_PG_LAG).fetchone()
            size = conn.execute(_PG_SIZE).fetchone()
        except psycopg.Error as exc:
            if self._conn is not None:
                self._conn.close()
            raise ProbeError(
                f"postgres probe failed on {redact(self.url)}: {exc.sqlstate}"
            ) from exc
        assert act and locks and lag and size
        now = time.monotonic()
        growth = 0.0
        if self._last_size is not None and now > self._last_size[0]:
            growth = (float(size[0]) - self._last_size[1]) / (now - self._last_size[0])
        self._last_size = (now, float(size[0]))
        return [
            Sample("pg_active_connections", float(act[0]), labels=labels),
            Sample("pg_idle_in_transaction_connections", float(act[1]), labels=labels),
            Sample("pg_connections", float(act[2]), labels=labels),
            Sample("pg_longest_transaction_seconds", float(act[3]), labels=labels),
            Sample("pg_waiting_locks", float(locks[0]), labels=labels),
            Sample("pg_replication_lag_bytes", float(lag[0]), labels=labels),
            Sample("pg_replication_lag_seconds", float(lag[1]), labels=labels),
            Sample("pg_replicas", float(lag[2]), labels=labels),
            Sample("pg_database_size_bytes", float(size[0]), labels=labels),
            Sample("pg_database_growth_bytes_per_second", growth, labels=labels),
        ]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()


@dataclass
class PoolProbe:
    """A SQLAlchemy ``QueuePool`` (or anything with the same counters)."""

    pool: Any
    name: str = "pool"
    label: str = "default"
    timeouts: Callable[[], int] | None = None

    def collect(self) -> list[Sample]:
        labels = (("pool", self.label),)
        try:
            size = float(self.pool.size())
            checked_out = float(self.pool.checkedout())
            overflow = float(max(self.pool.overflow(), 0))
            idle = float(self.pool.checkedin())
        except AttributeError as exc:
            raise ProbeError(f"pool probe: {type(self.pool).__name__} has no counters") from exc
        out = [
            Sample("pool_size", size, labels=labels),
            Sample("pool_checked_out", checked_out, labels=labels),
            Sample("pool_overflow", overflow, labels=labels),
            Sample("pool_idle", idle, labels=labels),
        ]
        if self.timeouts is not None:
            out.append(
                Sample("pool_timeouts_total", float(self.timeouts()), "counter", labels=labels)
            )
        return out


@dataclass
class RunStats:
    """Counters a running job updates (thread-safe enough: single writer)."""

    rows: int = 0
    batches: int = 0
    rejects: int = 0
    errors: int = 0
    batch_seconds_last: float = 0.0
    started: float = field(default_factory=time.monotonic)

    def record_batch(self, rows: int, seconds: float, rejects: int = 0) -> None:
        self.rows += rows
        self.batches += 1
        self.rejects += rejects
        self.batch_seconds_last = seconds


@dataclass
class RunProbe:
    """The ormshift job itself: rows, rows/s, batch latency, rejects, errors."""

    stats: RunStats
    name: str = "run"

    def collect(self) -> list[Sample]:
        elapsed = max(time.monotonic() - self.stats.started, 1e-9)
        return [
            Sample("run_rows_total", float(self.stats.rows), "counter"),
            Sample("run_batches_total", float(self.stats.batches), "counter"),
            Sample("run_rejects_total", float(self.stats.rejects), "counter"),
            Sample("run_errors_total", float(self.stats.errors), "counter"),
            Sample("run_rows_per_second", self.stats.rows / elapsed),
            Sample("run_batch_seconds", self.stats.batch_seconds_last),
        ]
