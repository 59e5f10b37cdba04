"""The checks behind the one-line errors: URLs (`ormshift.dsn`), thresholds and
intervals (`ormshift.monitor.thresholds`, `ormshift.transfer.throttle`), ports."""

from __future__ import annotations

import math

import pytest

from ormshift.dsn import MYSQL, POSTGRESQL, SQLITE, check_url, engine_of
from ormshift.errors import InvalidURL
from ormshift.monitor import ConfigError, Rule, parse_config
from ormshift.monitor.exporter import ExporterError, check_port
from ormshift.monitor.thresholds import interval_problem, threshold_problem
from ormshift.transfer import ThrottleSettings

PW = "hunter2-secret"


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgresql://u@h/db", POSTGRESQL),
        ("postgres://u@h:5433/db", POSTGRESQL),
        ("postgresql+psycopg://u@[::1]:5432/db", POSTGRESQL),
        ("host=localhost dbname=x", POSTGRESQL),
        ("mysql://root@127.0.0.1:3306/shop", MYSQL),
        ("mariadb+pymysql://root@h/shop", MYSQL),
        ("sqlite:///data.db", SQLITE),
    ],
)
def test_engine_of_good_urls(url: str, engine: str) -> None:
    assert engine_of(url) == engine


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("localhost", "is not a database URL"),
        (f"mysql://root:{PW}@127.0.0.1:abc/shop", "the port is not a number from 1 to 65535"),
        (f"postgresql://u:{PW}@h:70000/db", "the port is not a number from 1 to 65535"),
        (f"postgresql://u:{PW}@h:0/db", "the port is not a number from 1 to 65535"),
        (f"mysql://root:{PW}@[::1/shop", "the host is not valid"),
        (f"http://u:{PW}@example.org/db", "http:// is not a database"),
    ],
)
def test_engine_of_bad_urls_say_why_without_the_password(url: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message) as caught:
        engine_of(url, "--source")
    assert PW not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_check_url_names_what_the_command_takes() -> None:
    assert check_url("mysql://r@h/db", (POSTGRESQL, MYSQL)) == MYSQL
    with pytest.raises(InvalidURL) as caught:
        check_url("sqlite:///x.db", (POSTGRESQL, MYSQL), "--source", "a migrate source")
    assert str(caught.value) == (
        "--source sqlite:///x.db: a migrate source must be PostgreSQL or MySQL/MariaDB "
        "(postgresql://user@host/db or mysql://user@host/db), not SQLite"
    )


@pytest.mark.parametrize(
    ("metric", "value", "problem"),
    [
        ("host_cpu_percent", -5, "above 0"),
        ("host_cpu_percent", 0, "above 0"),
        ("host_cpu_percent", 100.5, "at most 100"),
        ("host_cpu_percent", math.nan, "finite"),
        ("pg_waiting_locks", math.inf, "finite"),
        ("pg_waiting_locks", 0, "above 0"),
    ],
)
def test_threshold_problems(metric: str, value: float, problem: str) -> None:
    found = threshold_problem(metric, value)
    assert found is not None and problem in found
    with pytest.raises(ConfigError, match=problem):
        Rule(metric, pause=value).validate()


@pytest.mark.parametrize(
    ("metric", "value"), [("host_cpu_percent", 100), ("host_cpu_percent", 0.5), ("x", 1e12)]
)
def test_usable_thresholds_pass(metric: str, value: float) -> None:
    assert threshold_problem(metric, value) is None
    Rule(metric, pause=value).validate()


def test_intervals() -> None:
    assert interval_problem(0) is None and interval_problem(2.5) is None
    for bad in (-1, math.inf, math.nan, 10**6):
        assert interval_problem(bad) is not None, bad
    with pytest.raises(ConfigError, match=r"monitor\.interval = -1"):
        parse_config({"monitor": {"interval": -1}})
    with pytest.raises(ConfigError, match="hysteresis"):
        parse_config({"thresholds": {"host_cpu_percent": {"pause": 90, "hysteresis": math.nan}}})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_cpu": -5}, "--max-cpu -5: a threshold must be above 0"),
        ({"critical_memory": 101}, "--critical-memory 101: a percentage threshold"),
        ({"max_connections": 0}, "--max-connections 0: a threshold must be above 0"),
        ({"max_cpu": 90, "critical_cpu": 50}, "--critical-cpu 50 is below --max-cpu 90"),
        ({"interval": -1}, "--poll-seconds -1"),
        ({"interval": math.inf}, "--poll-seconds inf"),
    ],
)
def test_throttle_flags_are_refused_when_built(settings: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ThrottleSettings(**settings)  # type: ignore[arg-type]


def test_good_throttle_flags() -> None:
    settings = ThrottleSettings(max_cpu=90, critical_cpu=95, max_connections=20, interval=0)
    assert [r.metric for r in settings.flag_rules()] == [
        "host_cpu_percent",
        "pg_active_connections{db=target}",
    ]


@pytest.mark.parametrize("port", [0, -1, 65536, 70000])
def test_metrics_port_range(port: int) -> None:
    with pytest.raises(ExporterError, match=f"--metrics-port {port}: give a TCP port"):
        check_port(port)
    check_port(9187)
