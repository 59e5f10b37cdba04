"""The ``ormshift`` command: one module per command or command group in ``ormshift.cli``."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from ormshift import __version__
from ormshift.cli import migrate
from ormshift.cli.common import fail
from ormshift.cli.compare import compare
from ormshift.cli.demo import demo
from ormshift.cli.extract import extract
from ormshift.cli.generate import generate
from ormshift.cli.health import health
from ormshift.cli.report import report
from ormshift.cli.schema import schema_app
from ormshift.cli.verify import verify
from ormshift.monitor import setup_logging

app = typer.Typer(
    name="ormshift",
    help="Move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip


@app.callback()
def _logging(
    log_json: Annotated[
        bool, typer.Option("--log-json", help="log as JSON lines (with the run id) on stderr")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error")
    ] = "warning",
) -> None:
    """Move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x."""
    if log_level not in LEVELS:
        raise fail(f"--log-level {log_level!r}: choose one of {', '.join(LEVELS)}")
    setup_logging(json_lines=log_json, level=LEVELS[log_level])


for command in (extract, generate, compare, verify, health, report, demo):
    app.command()(command)
app.add_typer(schema_app, name="schema")
migrate.register(app)  # migrate and rollback


@app.command()
def version() -> None:
    """Print the ormshift version."""
    typer.echo(__version__)


def main() -> None:
    app()
