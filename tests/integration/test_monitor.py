"""The monitor against real things: PostgreSQL probes, a SQLAlchemy pool, a local HTTP
server for the webhook, a Prometheus scrape, log lines, and ``ormshift health``."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import psycopg
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from ormshift.dsn import sqlalchemy_url
from ormshift.monitor import (
    ExporterError,
    HostProbe,
    Level,
    Monitor,
    PoolProbe,
    PostgresProbe,
    RunProbe,
    RunStats,
    ThresholdSource,
    WebhookSink,
    log_alert,
    serve,
    setup_logging,
)
from ormshift.monitor.alerts import alert_for

from ..conftest import ROOT


def values(samples: list, prefix: str = "") -> dict[str, float]:  # type: ignore[type-arg]
    return {s.key: s.value for s in samples if s.key.startswith(prefix)}


def test_postgres_probe_sees_locks_and_idle_transactions(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as setup:
        setup.execute("create table account (id int primary key, balance int)")
        setup.execute("insert into account values (1, 10)")
    holder = psycopg.connect(fresh_db)
    holder.execute("update account set balance = 11 where id = 1")  # holds the row lock
    waiter = psycopg.connect(fresh_db, autocommit=True)
    blocked = threading.Thread(
        target=lambda: waiter.execute("update account set balance = 12 where id = 1")
    )
    blocked.start()
    probe = PostgresProbe(fresh_db)
    try:
        deadline = time.monotonic() + 10
        while True:
            got = values(probe.collect())
            if got["pg_waiting_locks{db=target}"] >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert got["pg_waiting_locks{db=target}"] >= 1
        assert got["pg_idle_in_transaction_connections{db=target}"] >= 1
        assert got["pg_active_connections{db=target}"] >= 1  # the blocked update
        assert got["pg_longest_transaction_seconds{db=target}"] > 0
        assert got["pg_database_size_bytes{db=target}"] > 1_000_000
        assert got["pg_replicas{db=target}"] == 0
    finally:
        holder.rollback()
        blocked.join(10)
        holder.close()
        waiter.close()
        probe.close()


def test_host_and_run_probes() -> None:
    host = values(HostProbe(cpu_interval=0.05).collect())
    assert 0 <= host["host_cpu_percent"] <= 100
    # readings closer together than the window repeat the last value instead of measuring
    # over a few milliseconds (where CPU use is 0 or 100 and thresholds would flap)
    windowed = HostProbe(cpu_window=0.3)
    time.sleep(0.35)
    first = values(windowed.collect())["host_cpu_percent"]
    assert [values(windowed.collect())["host_cpu_percent"] for _ in range(5)] == [first] * 5
    assert 0 <= first <= 100
    assert 0 < host["host_memory_percent"] < 100
    assert host["process_resident_memory_bytes"] > 10_000_000
    assert host["host_disk_free_bytes"] > 0
    stats = RunStats()
    stats.record_batch(500, 0.25, rejects=2)
    stats.record_batch(300, 0.5)
    run = values(RunProbe(stats).collect())
    assert run["run_rows_total"] == 800 and run["run_batches_total"] == 2
    assert run["run_rejects_total"] == 2 and run["run_batch_seconds"] == 0.5
    assert run["run_rows_per_second"] > 0


def test_pool_probe_counts_checked_out_connections(fresh_db: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(fresh_db), pool_size=2, max_overflow=3)
    probe = PoolProbe(engine.pool, label="app")
    try:
        conns = [engine.connect() for _ in range(4)]
        got = values(probe.collect())
        assert got["pool_checked_out{pool=app}"] == 4
        assert got["pool_overflow{pool=app}"] == 2
        for c in conns:
            c.close()
        got = values(probe.collect())
        assert got["pool_checked_out{pool=app}"] == 0
    finally:
        engine.dispose()


class Flaky(BaseHTTPRequestHandler):
    failures_left = 2
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if Flaky.failures_left > 0:
            Flaky.failures_left -= 1
            self.send_response(503)
        else:
            Flaky.received.append(body)
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[str]:
    Flaky.failures_left = 2
    Flaky.received = []
    server = HTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_webhook_retries_with_backoff(webhook_server: str) -> None:
    sink = WebhookSink(webhook_server, retries=4, backoff=0.01)
    sink.send(alert_for("pg_waiting_locks", 25, Level.THROTTLE, Level.WARN))
    sink.close()
    assert sink.attempts == 3 and sink.delivered == 1 and sink.failed == 0
    assert Flaky.received[0]["level"] == "throttle"
    assert Flaky.received[0]["metric"] == "pg_waiting_locks"


def test_unreachable_webhook_never_blocks_the_work() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    sink = WebhookSink(f"http://127.0.0.1:{port}/", retries=3, backoff=0.05)
    started = time.monotonic()
    for _ in range(5):
        sink.send(alert_for("x", 1, Level.WARN, Level.OK))
    assert time.monotonic() - started < 0.5  # send only enqueues
    sink.close(timeout=30)
    assert sink.failed == 5 and sink.delivered == 0


def test_prometheus_endpoint_is_scraped_and_parsed(fresh_db: str) -> None:
    stats = RunStats()
    stats.record_batch(1000, 0.1)
    probe = PostgresProbe(fresh_db)
    monitor = Monitor([HostProbe(), probe, RunProbe(stats)], sinks=())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve(monitor, port)
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        families = {f.name: f for f in text_string_to_metric_families(text)}
        assert families["ormshift_run_rows"].type == "counter"
        assert families["ormshift_run_rows"].samples[0].name == "ormshift_run_rows_total"
        assert families["ormshift_run_rows"].samples[0].value == 1000
        assert families["ormshift_pg_connections"].type == "gauge"
        assert families["ormshift_pg_connections"].samples[0].labels == {"db": "target"}
        assert families["ormshift_host_memory_available_bytes"].samples[0].value > 0
        assert "ormshift_threshold_level" in families
        with pytest.raises(ExporterError, match="pick another --metrics-port"):
            serve(monitor, port)
    finally:
        probe.close()


def test_logs_are_json_with_run_id_and_no_password() -> None:
    stream = io.StringIO()
    setup_logging(json_lines=True, run_id="run-42", stream=stream)
    try:
        log = logging.getLogger("ormshift.transfer.engine")
        log.info("connecting to %s", "postgresql://app:hunter2@db.internal/shop")
        log_alert(alert_for("pg_waiting_locks", 7, Level.WARN, Level.OK))
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        setup_logging(json_lines=False, stream=sys.stderr)
    assert "hunter2" not in stream.getvalue()
    assert lines[0]["msg"] == "connecting to postgresql://app:***@db.internal/shop"
    assert {line["run_id"] for line in lines} == {"run-42"}
    assert lines[1]["level"] == "warning" and lines[1]["alert"]["level"] == "warn"


def health(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ormshift", "health", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip


def test_health_command_exit_codes(fresh_db: str, tmp_path: Path) -> None:
    ok = health("--db", fresh_db, "--json")
    report = json.loads(ok.stdout)
    # the host may be busy (other tests run beside this one): the exit code follows the
    # worst status, whatever it is, and the database itself is healthy
    codes = {"ok": 0, "warn": 1, "throttle": 1, "pause": 2, "abort": 2}  # as Nagios reads it
    assert ok.returncode == codes[report["status"]], ok.stderr
    assert all(p["status"] == "ok" for p in report["probes"] if p["metric"].startswith("pg_"))
    assert {"pg_connections{db=target}", "host_memory_percent"} <= {
        p["metric"] for p in report["probes"]
    }
    config = tmp_path / "m.toml"
    # the probe's own connection is one: a threshold of 1 always holds
    config.write_text("[thresholds.pg_connections]\nwarn = 1\npause = 1\nabort = 1\n")
    bad = health("--db", fresh_db, "--monitor-config", str(config))
    assert bad.returncode == 2, bad.stdout + bad.stderr  # CRITICAL
    assert "abort" in bad.stdout


@pytest.mark.parametrize(
    ("config_text", "message"),
    [
        ("[thresholds.pg_connections]\nwarn = 10\npause = 5\n", "pause (5) is below warn (10)"),
        (None, "no such monitor config file"),
    ],
)
def test_health_bad_config_is_one_line(
    fresh_db: str, tmp_path: Path, config_text: str | None, message: str
) -> None:
    config = tmp_path / "m.toml"
    if config_text is not None:
        config.write_text(config_text)
    proc = health("--db", fresh_db, "--monitor-config", str(config))
    assert proc.returncode == 3  # UNKNOWN: the check could not run
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_monitor_survives_a_failing_probe() -> None:
    dead = PostgresProbe("postgresql://postgres:pw@127.0.0.1:1/none")
    stats = RunStats()
    monitor = Monitor([dead, RunProbe(stats)], ThresholdSource(), sinks=())
    snap = monitor.tick()
    assert snap.level == Level.OK
    assert monitor.probe_errors_total == 1
    assert "pw" not in snap.probe_errors[0] and "***" in snap.probe_errors[0]
    assert any(s.name == "run_rows_total" for s in snap.samples)
