"""``ormshift health DSN``: every probe once, against the thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from ormshift.cli.common import handle_errors, out

#: exit codes by worst status; 2 stays "could not run"
EXIT_CODES = {"ok": 0, "warn": 1, "throttle": 3, "pause": 4, "abort": 5}
STYLE = {"ok": "green", "warn": "yellow", "throttle": "yellow", "pause": "red", "abort": "bold red"}


@handle_errors
def health(
    dsn: Annotated[str, typer.Argument(help="PostgreSQL URL to probe")],
    config: Annotated[
        Path | None, typer.Option("--config", help="monitor config (TOML) with thresholds")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Probe the host and a PostgreSQL server once; exit 0 ok, 1 warn, 3 throttle,
    4 pause, 5 abort (2: could not run)."""
    from ormshift.dsn import POSTGRESQL, check_url, connect
    from ormshift.monitor import HostProbe, Level, Monitor, PostgresProbe, ThresholdSource

    check_url(dsn, (POSTGRESQL,), "DSN")
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
