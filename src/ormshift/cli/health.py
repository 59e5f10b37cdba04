"""``ormshift health --db URL``: every probe once, against the thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import fail, handle_errors, out
from ormshift.cli.options import (
    DATABASE_ENV,
    MONITOR_CONFIG_HELP,
    db_option,
    given,
    old_option,
    one_database,
    renamed,
    warn,
)

#: exit codes by worst status; 2 stays "could not run"
EXIT_CODES = {"ok": 0, "warn": 1, "throttle": 3, "pause": 4, "abort": 5}
STYLE = {"ok": "green", "warn": "yellow", "throttle": "yellow", "pause": "red", "abort": "bold red"}


@handle_errors
def health(
    ctx: typer.Context,
    db: Annotated[str | None, db_option("PostgreSQL URL to probe")] = None,
    monitor_config: Annotated[
        Path | None, typer.Option("--monitor-config", help=MONITOR_CONFIG_HELP)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
    old_config: Annotated[Path | None, old_option("--config")] = None,
) -> None:
    """Probe the host and a PostgreSQL server once; exit 0 ok, 1 warn, 3 throttle,
    4 pause, 5 abort (2: could not run)."""
    from ormshift.dsn import POSTGRESQL, check_url, connect
    from ormshift.monitor import HostProbe, Level, Monitor, PostgresProbe, ThresholdSource

    config = renamed(monitor_config, old_config, new="--monitor-config", old="--config")
    if ctx.args:  # the old spelling: `health DSN`
        warn("health DSN is deprecated; use health --db DSN")
        if len(ctx.args) != 1 or given(db, DATABASE_ENV):
            raise fail("give the database once, as --db URL")
        db = ctx.args[0]
    dsn = one_database(db)
    check_url(dsn, (POSTGRESQL,), "--db")
    source = ThresholdSource(config)
    connect(dsn).close()  # one clear error for an unreachable server or a bad password
    probe = PostgresProbe(dsn)
    host = HostProbe(cpu_interval=0.3)
    monitor = Monitor([host, probe], source, sinks=())
    try:
        snap = monitor.tick()
    finally:
        probe.close()
    if as_json:
        rows = [
            {"metric": s.metric, "value": s.value, "status": s.level.label} for s in snap.statuses
        ]
        out.print_json(
            json.dumps(
                {
                    "status": snap.level.label,
                    "probes": rows,
                    "probe_errors": list(snap.probe_errors),
                }
            )
        )
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
    raise typer.Exit(EXIT_CODES[snap.level.label])
