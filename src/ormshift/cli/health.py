"""``ormshift health --db URL``: every probe once, against the thresholds.

The exit code is what monitoring systems (Nagios, Icinga, Sensu, Zabbix's agent checks)
read: 0 OK, 1 WARNING (warn or throttle), 2 CRITICAL (pause or abort), 3 UNKNOWN (the
check itself could not run: a bad URL, an unreachable server, a broken threshold
file). With ``--json`` every outcome, a failure too, is one JSON document on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import fail, out
from ormshift.cli.config import CONFIG_ERROR, ConfigError
from ormshift.cli.options import (
    MONITOR_CONFIG_HELP,
    db_option,
    given,
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
    monitor_config: Annotated[
        Path | None, typer.Option("--monitor-config", help=MONITOR_CONFIG_HELP)
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="print JSON on stdout instead of a table, whatever the outcome"
        ),
    ] = False,
    old_config: Annotated[Path | None, old_option("--config")] = None,
) -> None:
    """Probe the host and a PostgreSQL server once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

    As Nagios reads it: warn and throttle are WARNING, pause and abort CRITICAL, and a
    check that could not run is UNKNOWN."""
    try:
        code = _check(ctx, db, monitor_config, as_json, old_config)
    except OrmshiftError as exc:
        _unknown(str(exc), as_json)
    except typer.Exit:  # an argument refused: its one line is printed
        _unknown(None, as_json)
    except KeyboardInterrupt:
        _unknown("interrupted", as_json)
    raise typer.Exit(code)


def usage_error(line: str, args: Sequence[str]) -> int:
    """UNKNOWN for a command line that did not parse (``health --bogus``), said as every
    other UNKNOWN is: the line on stderr and, when ``args`` ask for ``--json``, the JSON
    document on stdout."""
    try:
        _unknown(line, "--json" in args)
    except typer.Exit as done:
        return done.exit_code


def _unknown(message: str | None, as_json: bool) -> NoReturn:
    """UNKNOWN: the line on stderr (unless already printed), and the JSON document."""
    if message is not None:
        fail(message)
    if as_json:
        from ormshift.dsn import redact

        text = " ".join(redact(message).split()) if message else "the check could not run"
        out.print_json(json.dumps({"status": "unknown", "probes": [], "error": text}))
    raise typer.Exit(UNKNOWN)


def _check(
    ctx: typer.Context,
    db: str | None,
    monitor_config: Path | None,
    as_json: bool,
    old_config: Path | None,
) -> int:
    """The probes, printed; the exit code of the worst status."""
    from ormshift.dsn import POSTGRESQL, check_url
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
    dsn = one_database(db)
    check_url(dsn, (POSTGRESQL,), "--db")
    snap = check_once(dsn, config)
    if as_json:
        out.print_json(json.dumps(snapshot_json(snap)))
    else:
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
