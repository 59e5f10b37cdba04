"""``ormshift health --db URL``: every probe once, against the thresholds.

The exit code is what monitoring systems (Nagios, Icinga, Sensu, Zabbix's agent checks)
read: 0 OK, 1 WARNING (warn or throttle), 2 CRITICAL (pause or abort), 3 UNKNOWN (the
check itself could not run: a bad URL, an unreachable server, a broken threshold
file). With ``--json`` every outcome, a failure too, is one JSON document on stdout,
and ``--report FILE`` writes every outcome as a report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import fail, out
from ormshift.cli.config import CONFIG_ERROR, ConfigError
from ormshift.cli.options import (
    ReportOption,
    db_option,
    given,
    json_option,
    monitor_config_option,
    old_option,
    one_database,
    renamed,
    warn,
)
from ormshift.errors import OrmshiftError

#: exit codes by worst status, as monitoring plugins report them
EXIT_CODES = {"ok": 0, "warn": 1, "throttle": 1, "pause": 2, "abort": 2}
UNKNOWN = 3  # the check could not run
STYLE = {"ok": "green", "warn": "yellow", "throttle": "yellow", "pause": "red", "abort": "bold red"}


def health(
    ctx: typer.Context,
    db: Annotated[str | None, db_option("PostgreSQL URL to probe")] = None,
    monitor_config: Annotated[Path | None, monitor_config_option()] = None,
    as_json: Annotated[bool, json_option()] = False,
    report: ReportOption = None,
    old_config: Annotated[Path | None, old_option("--config")] = None,
) -> None:
    """Probe the host and a PostgreSQL server once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

    As Nagios reads it: warn and throttle are WARNING, pause and abort CRITICAL, and a
    check that could not run is UNKNOWN. --json and --report say every outcome,
    UNKNOWN too."""
    from ormshift.clock import utc_now

    said = _Outcome(as_json, report, utc_now())
    try:
        code = _check(ctx, db, monitor_config, old_config, said)
    except OrmshiftError as exc:
        _unknown(str(exc), said)
    except typer.Exit:  # an argument refused: its one line is printed
        _unknown(None, said)
    except KeyboardInterrupt:
        _unknown("interrupted", said)
    raise typer.Exit(code)


class _Outcome:
    """Where an outcome is said besides the table or the line: the JSON document on
    stdout (``--json``) and the report file (``--report``)."""

    def __init__(self, as_json: bool, report: Path | None, started: str) -> None:
        self.as_json = as_json
        self.report = report
        self.started = started
        self.target: str | None = None

    def say(self, payload: dict[str, Any]) -> None:
        """Write the report (once: an `OrmshiftError` when it cannot be), then print
        the JSON document."""
        report, self.report = self.report, None
        if report is not None:
            from ormshift.report import write
            from ormshift.report.builders import from_health

            write(from_health(payload, target=self.target, started_at=self.started), report)
        if self.as_json:
            out.print_json(json.dumps(payload))


def usage_error(line: str, args: Sequence[str]) -> int:
    """UNKNOWN for a command line that did not parse (``health --bogus``), said as every
    other UNKNOWN is: the line on stderr and, when ``args`` ask for ``--json`` or
    ``--report FILE``, the JSON document on stdout and the report."""
    from ormshift.clock import utc_now

    try:
        _unknown(line, _Outcome("--json" in args, _report_of(args), utc_now()))
    except typer.Exit as done:
        return done.exit_code


def _report_of(args: Sequence[str]) -> Path | None:
    """The ``--report FILE`` (or ``--report=FILE``) of a command line that did not parse."""
    for i, arg in enumerate(args):
        if arg == "--report" and i + 1 < len(args) and not args[i + 1].startswith("-"):
            return Path(args[i + 1])
        if arg.startswith("--report="):
            return Path(arg.split("=", 1)[1])
    return None


def _unknown(message: str | None, said: _Outcome) -> NoReturn:
    """UNKNOWN: the line on stderr (unless already printed), the JSON document and the
    report."""
    if message is not None:
        fail(message)
    from ormshift.dsn import redact

    text = " ".join(redact(message).split()) if message else "the check could not run"
    payload: dict[str, Any] = {"status": "unknown", "probes": [], "error": text}
    try:
        said.say(payload)
    except OrmshiftError as exc:  # the report could not be written: the document still is
        fail(str(exc))
        said.say(payload)
    raise typer.Exit(UNKNOWN)


def _check(
    ctx: typer.Context,
    db: str | None,
    monitor_config: Path | None,
    old_config: Path | None,
    said: _Outcome,
) -> int:
    """The probes, printed; the exit code of the worst status."""
    from ormshift.dsn import POSTGRESQL, check_url
    from ormshift.files import check_writable
    from ormshift.monitor import Level, check_once, snapshot_json

    broken = ctx.find_root().meta.get(CONFIG_ERROR)
    if broken is not None:  # the project file could not be read: nothing was checked
        raise ConfigError(broken)
    config = renamed(ctx, monitor_config, old_config, new="--monitor-config", old="--config")
    if ctx.args:  # the old spelling: `health DSN`
        warn("health DSN is deprecated; use health --db DSN")
        if len(ctx.args) != 1 or given(ctx, "db"):
            raise fail("give the database once, as --db URL")
        db = ctx.args[0]
    if said.report is not None:
        report, said.report = said.report, None  # refused: no second try at writing it
        check_writable(report)
        said.report = report
    dsn = one_database(db)
    check_url(dsn, (POSTGRESQL,), "--db")
    said.target = dsn
    snap = check_once(dsn, config)
    said.say(snapshot_json(snap))
    if not said.as_json:
        table = RichTable(title=f"health: {snap.level.label}", show_edge=False)
        for head in ("metric", "value", "status", "thresholds"):
            table.add_column(head)
        for s in snap.statuses:
            limits = ""
            if s.rule is not None:
                limits = " ".join(
                    f"{lv.label}={s.rule.threshold(lv):g}"
                    for lv in (Level.WARN, Level.THROTTLE, Level.PAUSE, Level.ABORT)
                    if s.rule.threshold(lv) is not None
                )
            style = STYLE[s.level.label]
            table.add_row(s.metric, f"{s.value:,.6g}", f"[{style}]{s.level.label}[/]", limits)
        out.print(table)
    return EXIT_CODES[snap.level.label]
