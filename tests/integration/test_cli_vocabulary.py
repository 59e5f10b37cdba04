"""One CLI vocabulary: every command run as a real ``ormshift`` process with its database
URLs only in the environment (``ORMSHIFT_SOURCE_URL``, ``ORMSHIFT_TARGET_URL``,
``ORMSHIFT_DATABASE_URL``, libpq's ``PG*``), never on its command line; the old
spellings still working, each with one warning line; the environment said in --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import psycopg
import pytest

from ..conftest import CORPUS, ROOT, SERVER_PASSWORD, DatabaseFactory

#: what decides a URL: kept out of every run unless a test sets it
_URL_VARS = (
    "ORMSHIFT_SOURCE_URL", "ORMSHIFT_TARGET_URL", "ORMSHIFT_DATABASE_URL",
    "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE",
)  # fmt: skip


def ormshift(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in _URL_VARS}
    full.update({"COLUMNS": "200", "TERM": "dumb", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "ormshift", *args],
        capture_output=True, text=True, cwd=cwd, env=full, timeout=300, check=False,
    )  # fmt: skip


def warnings_of(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("warning:")]


def seeded(make_db: DatabaseFactory, rows: int) -> str:
    url = make_db("vocab")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table item (id serial primary key, v text not null)")
        for i in range(rows):
            conn.execute("insert into item (v) values (%s)", (f"v{i}",))
    return url


@pytest.fixture
def pair(make_db: DatabaseFactory) -> tuple[str, str]:
    """A source with three rows in ``item`` and a target whose ``item`` is empty."""
    return seeded(make_db, 3), seeded(make_db, 0)


def count(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("select count(*) from item").fetchone()
        assert row is not None
        return int(row[0])


def test_migrate_verify_rollback_with_urls_from_the_environment(pair: tuple[str, str]) -> None:
    source, target = pair
    env = {"ORMSHIFT_SOURCE_URL": source, "ORMSHIFT_TARGET_URL": target}
    migrated = ormshift("migrate", "--json", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert count(target) == 3
    events = [json.loads(line) for line in migrated.stdout.splitlines() if line.startswith("{")]
    run_id = next(e["run_id"] for e in events if "run_id" in e)

    verified = ormshift("verify", "--table", "item", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    diff = ormshift("schema", "diff", env=env)
    assert diff.returncode == 0, diff.stderr
    assert "the schemas are the same" in diff.stderr

    rolled = ormshift("rollback", run_id, env={"ORMSHIFT_TARGET_URL": target})
    assert rolled.returncode == 0, rolled.stderr
    assert count(target) == 0
    for proc in (migrated, verified, diff, rolled):
        assert warnings_of(proc) == []


def test_the_command_line_wins_over_the_environment(pair: tuple[str, str]) -> None:
    source, target = pair
    # the environment names a target that does not exist; --target overrides it
    wrong = target.rsplit("/", 1)[0] + "/ormshift_vocab_nosuch"
    env = {"ORMSHIFT_SOURCE_URL": source, "ORMSHIFT_TARGET_URL": wrong}
    assert ormshift("schema", "diff", env=env).returncode == 2
    proc = ormshift("schema", "diff", "--target", target, env=env)
    assert proc.returncode == 0, proc.stderr


def test_one_database_commands_with_the_url_from_the_environment(
    pair: tuple[str, str], tmp_path: Path, pg_server_url: str
) -> None:
    source, _ = pair
    env = {"ORMSHIFT_DATABASE_URL": source}
    health = ormshift("health", "--json", env=env)
    assert health.returncode in (0, 1, 2), health.stderr  # OK, WARNING or CRITICAL: not UNKNOWN
    assert json.loads(health.stdout)["status"] in ("ok", "warn", "throttle", "pause", "abort")

    out = tmp_path / "m.json"
    extracted = ormshift("extract", "-o", str(out), env=env)  # no PROJECT: the database
    assert extracted.returncode == 0, extracted.stderr
    assert [t["name"] for t in json.loads(out.read_text())["tables"]] == ["item"]

    scenario = tmp_path / "one.yaml"
    scenario.write_text(
        "models: tests.models.blog\n"
        "scenarios:\n"
        "  - name: one\n"
        "    operations:\n"
        "      - {op: count, entity: Tag, args: [{}]}\n"
    )
    compared = ormshift(
        "compare", "--project", str(CORPUS / "blog"), "--scenario", str(scenario),
        env={"ORMSHIFT_DATABASE_URL": pg_server_url},
    )  # fmt: skip
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert "0 result, 0 error and 0 state mismatch(es)" in compared.stdout + compared.stderr


def test_libpq_variables_name_the_database(pair: tuple[str, str]) -> None:
    source, _ = pair
    parts = urlsplit(source)
    # (the embedded server's URL names its socket directory in the query: ?host=/tmp/...)
    socket = dict(parse_qsl(parts.query)).get("host", "")
    libpq = {
        "PGHOST": parts.hostname or socket,
        "PGPORT": str(parts.port or 5432),
        "PGUSER": parts.username or "postgres",
        "PGDATABASE": parts.path.lstrip("/"),
    }
    health = ormshift("health", "--json", env=libpq)
    assert health.returncode in (0, 1, 2), health.stderr  # OK, WARNING or CRITICAL
    # and they fill in a URL that leaves the database out
    partial = f"postgresql://{parts.netloc}" + (f"?host={socket}" if socket else "")
    proc = ormshift("extract", "--db", partial, env={"PGDATABASE": libpq["PGDATABASE"]})
    assert proc.returncode == 0, proc.stderr
    assert '"name": "item"' in proc.stdout
    # extract with no PROJECT and no --db: the database libpq's variables name
    proc = ormshift("extract", "--table", "item", env=libpq)
    assert proc.returncode == 0, proc.stderr
    assert [t["name"] for t in json.loads(proc.stdout)["tables"]] == ["item"]


@pytest.mark.parametrize(
    "args",
    [
        ("health", "--json", "--nosuch"),
        ("health", "--json", "--monitor-config"),  # an option without its value
        ("--log-level", "info", "health", "--json", "--db"),
    ],
)
def test_health_that_cannot_parse_its_arguments_is_unknown(args: tuple[str, ...]) -> None:
    """Nagios reads every outcome of health: a bad command line too is UNKNOWN (3), one
    line on stderr, and with --json the same JSON document as any other UNKNOWN."""
    proc = ormshift(*args)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    document = json.loads(proc.stdout)
    assert document["status"] == "unknown" and document["probes"] == []
    assert document["error"] == lines[0].removeprefix("error: ")
    without = ormshift(*[a for a in args if a != "--json"])
    assert without.returncode == 3 and without.stdout == ""


def test_a_usage_error_points_at_the_help_of_its_command() -> None:
    proc = ormshift("migrate", "--batch-size")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "error: option '--batch-size' requires an argument; see 'ormshift migrate --help'"
    )
    proc = ormshift("--nosuch", "version")
    assert proc.stderr.strip() == "error: no such option: --nosuch; see 'ormshift --help'"


def test_the_password_from_pgpassword(password_server: str) -> None:
    """A server that checks passwords, the URL without one: libpq's PGPASSWORD gives it."""
    url = password_server.replace("postgres:@", "postgres@", 1)
    refused = ormshift("health", "--json", env={"ORMSHIFT_DATABASE_URL": url})
    assert refused.returncode == 3  # UNKNOWN: the check could not run
    assert "refused the user name or password" in refused.stderr
    proc = ormshift(
        "health", "--json", env={"ORMSHIFT_DATABASE_URL": url, "PGPASSWORD": SERVER_PASSWORD}
    )
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert SERVER_PASSWORD not in proc.stdout + proc.stderr


def test_a_missing_url_says_both_ways_to_give_it(tmp_path: Path) -> None:
    for args, line in (
        (("migrate",), "error: --source is missing: give --source URL, or set ORMSHIFT_SOURCE_URL"),
        (("verify", "--source", "sqlite:///x.db"), "error: --target is missing: give --target "
         "URL, or set ORMSHIFT_TARGET_URL"),
        (("schema", "diff"), "error: --source is missing"),
        (("rollback", "r1"), "error: --target is missing"),
        (("health",), "error: --db is missing: give --db URL, or set ORMSHIFT_DATABASE_URL"),
        (("compare", "--project", "p", "--scenario", "s.yaml"), "error: --db is missing"),
    ):  # fmt: skip
        proc = ormshift(*args, cwd=tmp_path)
        # health's UNKNOWN is 3, as monitoring systems read it
        assert proc.returncode == (3 if args[0] == "health" else 2), (args, proc.stderr)
        assert proc.stderr.strip().splitlines() == [proc.stderr.strip()], proc.stderr
        assert proc.stderr.startswith(line), (args, proc.stderr)


def test_old_spellings_work_with_one_warning(pair: tuple[str, str], tmp_path: Path) -> None:
    source, target = pair
    cases = [
        (("schema", "diff", source, target), "schema diff LEFT RIGHT is deprecated", 0),
        (("health", source, "--json"), "health DSN is deprecated", None),
        (("verify", "--source", source, "--target", target, "--tables", "item"),
         "--tables is deprecated; use --table", 1),
        (("extract", "--from-db", source, "-o", str(tmp_path / "m.json")),
         "--from-db is deprecated; use --db", 0),
    ]  # fmt: skip
    for args, warning, code in cases:
        proc = ormshift(*args)
        assert warnings_of(proc) == [f"warning: {warning}" + _rest(warning)], proc.stderr
        if code is not None:
            assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        else:
            assert proc.returncode in (0, 1, 2), proc.stderr
    config = tmp_path / "monitor.toml"
    config.write_text("[thresholds.pg_waiting_locks]\nwarn = 1000\n")
    proc = ormshift("health", "--db", source, "--config", str(config), "--json")
    assert warnings_of(proc) == ["warning: --config is deprecated; use --monitor-config"]
    assert json.loads(proc.stdout)["status"] in ("ok", "warn", "throttle", "pause", "abort")
    # options that write: the old spelling takes the same value (here one it refuses)
    (tmp_path / "afile").write_text("x")
    for args in (("demo", "--out", "afile"), ("compare", "--project", "p", "--db", source,
                                              "--fuzz", "1", "--out", "afile")):  # fmt: skip
        proc = ormshift(*args, cwd=tmp_path)
        lines = proc.stderr.strip().splitlines()
        assert lines[0] == "warning: --out is deprecated; use --output", proc.stderr
        assert proc.returncode == 2


def _rest(warning: str) -> str:
    """The end of each old spelling's warning line (the new spelling to use)."""
    return {
        "schema diff LEFT RIGHT is deprecated": "; use --source LEFT --target RIGHT",
        "health DSN is deprecated": "; use health --db DSN",
    }.get(warning, "")


def test_old_and_new_spelling_together_is_an_error(pair: tuple[str, str]) -> None:
    source, target = pair
    proc = ormshift("compare", "--project", "p", "--scenario", "s.yaml", "--db", source,
                    "--dsn", target)  # fmt: skip
    assert proc.returncode == 2
    assert "error: give --db only (not also --dsn, its old spelling)" in proc.stderr
    proc = ormshift("schema", "diff", "--source", source, source, target)
    assert proc.returncode == 2
    assert "error: give the two databases as --source URL --target URL" in proc.stderr


def test_help_says_where_urls_come_from() -> None:
    for command, variables in (
        (("migrate",), ("ORMSHIFT_SOURCE_URL", "ORMSHIFT_TARGET_URL")),
        (("verify",), ("ORMSHIFT_SOURCE_URL", "ORMSHIFT_TARGET_URL")),
        (("schema", "diff"), ("ORMSHIFT_SOURCE_URL", "ORMSHIFT_TARGET_URL")),
        (("rollback",), ("ORMSHIFT_TARGET_URL",)),
        (("health",), ("ORMSHIFT_DATABASE_URL",)),
        (("compare",), ("ORMSHIFT_DATABASE_URL",)),
        (("extract",), ("ORMSHIFT_DATABASE_URL",)),
        ((), ("ORMSHIFT_SOURCE_URL", "ORMSHIFT_TARGET_URL", "ORMSHIFT_DATABASE_URL")),
    ):
        text = " ".join(ormshift(*command, "--help").stdout.split())
        for variable in variables:
            assert variable in text, (command, variable)
        assert "PGPASSWORD" in text and "~/.pgpass" in text, command
        # the top level's --config is the project file; health's old --config is hidden
        olds = ("--dsn", "--from-db", "--tables", "--out ") + (("--config ",) if command else ())
        for old in olds:
            assert old not in text, (command, old)
