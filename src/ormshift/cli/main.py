"""The ``ormshift`` command: one module per command or command group in ``ormshift.cli``."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from typer.main import get_command

from ormshift import __version__
from ormshift.cli import migrate
from ormshift.cli.common import fail
from ormshift.cli.compare import compare
from ormshift.cli.config import CONFIG_ENV, CONFIG_ERROR, ConfigError, default_map, locate, read
from ormshift.cli.demo import demo
from ormshift.cli.extract import extract
from ormshift.cli.generate import generate
from ormshift.cli.health import UNKNOWN, health, usage_error
from ormshift.cli.options import ENVIRONMENT_HELP, OLD_POSITIONALS
from ormshift.cli.report import report
from ormshift.cli.schema import schema_app
from ormshift.monitor import setup_logging

app = typer.Typer(
    name="ormshift",
    help="Move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x.",
    epilog=ENVIRONMENT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _setup(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar=CONFIG_ENV,
            show_envvar=True,
            help="project settings file (default: ./ormshift.toml when it exists); "
            "flags override it",
        ),
    ] = None,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="log as JSON lines (with the run id) on stderr")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error")
    ] = "warning",
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="print the version, exit"
        ),
    ] = False,
) -> None:
    """Move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x."""
    code = UNKNOWN if ctx.invoked_subcommand == "health" else 2
    if log_level not in LEVELS:
        raise fail(f"--log-level {log_level!r}: choose one of {', '.join(LEVELS)}", code)
    setup_logging(json_lines=log_json, level=LEVELS[log_level])
    try:
        found = locate(config)
        if found is not None:
            data = read(found)
            ctx.default_map = default_map(
                ctx.command, data, ctx.invoked_subcommand, found.resolve().parent
            )
    except ConfigError as exc:
        if ctx.invoked_subcommand == "health":  # health says it its own way (--json)
            ctx.meta[CONFIG_ERROR] = str(exc)
            return
        raise fail(str(exc), code) from None


PIPELINE, OPERATE, MORE = "Pipeline (in order)", "Operate", "More"
app.command(epilog=ENVIRONMENT_HELP, rich_help_panel=PIPELINE)(extract)
app.command(rich_help_panel=PIPELINE)(generate)
app.command(epilog=ENVIRONMENT_HELP, rich_help_panel=PIPELINE)(compare)
migrate.register(app, PIPELINE)  # migrate, then verify, then rollback
app.command(epilog=ENVIRONMENT_HELP, context_settings=OLD_POSITIONALS, rich_help_panel=OPERATE)(
    health
)
app.command(rich_help_panel=OPERATE)(report)
app.add_typer(schema_app, name="schema", rich_help_panel=OPERATE)
app.command(rich_help_panel=MORE)(demo)


@app.command(rich_help_panel=MORE)
def version() -> None:
    """Print the ormshift version."""
    typer.echo(__version__)


def _usage_line(exc: typer.TyperException, invoked: str) -> str:
    """Typer's (click's) usage error as one line, with where to read more (the help of
    the command ``invoked`` when click's error names only the top level)."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "ormshift"
    if path == "ormshift" and invoked:
        path = f"ormshift {invoked}"
    return f"{message}; see '{path} --help'"


#: the top-level options that take a value (the next argument is not a command)
_VALUED = ("--config", "--log-level")


def _invoked(args: Sequence[str]) -> tuple[str, list[str]]:
    """The command ``args`` invoke ("" for none) and the arguments after it."""
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg, list(args[i + 1 :])
    return "", []


def main(argv: Sequence[str] | None = None) -> None:
    """The entry point: usage errors (a missing argument, ``--batch-size abc``, an unknown
    option) are one ``error:`` line and exit code 2, like every other bad input."""
    command = get_command(app)
    try:
        code = command.main(args=argv, prog_name="ormshift", standalone_mode=False)
    except typer.TyperException as exc:  # click's UsageError and its kin
        if type(exc).__name__ == "NoArgsIsHelpError":  # no command at all: the help
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        invoked, rest = _invoked(sys.argv[1:] if argv is None else argv)
        # click names only the top level for an option of the command that lacks its value
        culprit = getattr(exc, "option_name", None)
        of_command = invoked in command.commands and culprit in rest  # type: ignore[attr-defined]
        line = _usage_line(exc, invoked if of_command else "")
        if invoked == "health":  # a monitoring system reads every outcome, this one too
            code = usage_error(line, rest)
        else:
            code = fail(line, getattr(exc, "exit_code", 2)).exit_code
    except typer.Abort:
        code = fail("interrupted", 130).exit_code
    sys.exit(code if isinstance(code, int) else 0)
