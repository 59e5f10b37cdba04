"""The options every command spells the same way, and where else their values come from.

* Two databases are ``--source`` / ``--target`` (migrate, verify, schema diff; rollback
  has the target only); one database is ``--db`` (health, compare, extract).
* A database URL can come from the environment instead of the command line, so that a
  password stays out of ``ps`` and the shell's history: ``ORMSHIFT_SOURCE_URL``,
  ``ORMSHIFT_TARGET_URL``, ``ORMSHIFT_DATABASE_URL``. libpq's own variables
  (``PGHOST``, ``PGUSER``, ``PGPASSWORD``, ``PGDATABASE``, ``PGSERVICE``, ``PGPASSFILE``
  and ``~/.pgpass``) fill in what a PostgreSQL URL leaves out, as psycopg honours them;
  where one database is needed and none is given, a ``PGHOST``, ``PGDATABASE`` or
  ``PGSERVICE`` in the environment names it (health, compare, extract without PROJECT).
* ``--table`` is repeatable, or comma-separated (`table_names`), in every command that
  takes it (migrate, verify, schema diff, extract, generate); ``-o/--output`` names
  what a command writes; ``--json`` prints on stdout, diagnostics go to stderr;
  ``--report FILE`` writes the JSON report ``ormshift report`` reads (every command
  that produces a result); the TypeORM project is PROJECT, or ``--project`` (extract,
  compare); ``--schema`` / ``--target-schema`` are the two databases' schemas.
* One option, one description: each shared option is defined here once.
* An old spelling stays as a hidden option; using it prints one warning line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ormshift.cli.common import console, fail

SOURCE_ENV = "ORMSHIFT_SOURCE_URL"
TARGET_ENV = "ORMSHIFT_TARGET_URL"
DATABASE_ENV = "ORMSHIFT_DATABASE_URL"
#: libpq's variables that name a database on their own (the others only fill in a URL)
LIBPQ_NAMING = ("PGHOST", "PGDATABASE", "PGSERVICE")

#: said once in the top-level help
ENVIRONMENT_HELP = (
    f"Database URLs can come from the environment instead: {SOURCE_ENV} (--source), "
    f"{TARGET_ENV} (--target), {DATABASE_ENV} (--db). libpq's PG* variables (PGHOST, "
    "PGUSER, PGPASSWORD, PGDATABASE, PGSERVICE, PGPASSFILE) and ~/.pgpass fill in what a "
    "PostgreSQL URL leaves out, so no password need be on the command line."
)

#: the one description of a mapping file (migrate and verify read it alike)
MAPPING_HELP = (
    "TOML or YAML (JSON too) file: renamed tables/columns, transforms, casts, expressions, "
    "skipped columns (expressions are SQL run on the source: trusted config)"
)
#: the one description of a monitor config file (health and migrate read it alike)
MONITOR_CONFIG_HELP = (
    "monitor TOML (monitor.interval, monitor.pause_file, thresholds.METRIC with "
    "warn/throttle/pause/abort); migrate re-reads it while running, and its own "
    "threshold flags override it"
)
#: the one description of ``--report``
REPORT_HELP = "also write a JSON report here (`ormshift report` turns it into HTML)"
#: the one description of ``--json``
JSON_HELP = (
    "print the results as JSON on stdout instead of tables (JSON lines where the command "
    "streams events); diagnostics stay on stderr"
)
#: the one description of the TypeORM project, positional PROJECT or ``--project``
PROJECT_HELP = "TypeORM project directory (with tsconfig.json)"
#: the one description of ``--data-source``
DATA_SOURCE_HELP = "file exporting the DataSource, relative to PROJECT"
#: the schemas of the two databases (migrate, verify, schema diff)
SCHEMA_HELP = "schema of the source tables"
TARGET_SCHEMA_HELP = "schema of the target tables (default: --schema)"
#: the one description of the target database (migrate, verify, rollback, schema diff)
TARGET_HELP = "target PostgreSQL URL"


@dataclass(frozen=True)
class _Option:
    """An option spelled, and described, the same by every command that takes it;
    called with the help panel it goes in."""

    flag: str
    help: str

    def __call__(self, panel: str | None = None) -> Any:
        return typer.Option(self.flag, help=self.help, rich_help_panel=panel)


report_option = _Option("--report", REPORT_HELP)
json_option = _Option("--json", JSON_HELP)
mapping_option = _Option("--mapping", MAPPING_HELP)
monitor_config_option = _Option("--monitor-config", MONITOR_CONFIG_HELP)
schema_option = _Option("--schema", SCHEMA_HELP)
target_schema_option = _Option("--target-schema", TARGET_SCHEMA_HELP)
project_option = _Option("--project", PROJECT_HELP)
data_source_option = _Option("--data-source", DATA_SOURCE_HELP)


def project_argument() -> Any:
    """The TypeORM project, positional (``--project`` is the same, as an option)."""
    return typer.Argument(metavar="PROJECT", help=PROJECT_HELP, show_default=False)


#: ``--report FILE`` as a parameter's annotation
ReportOption = Annotated[Path | None, report_option()]


@dataclass(frozen=True)
class _UrlOption:
    """A database URL option, also read from its environment variable; called with the
    command's own description (or this one) and help panel."""

    flag: str
    env: str
    help: str = ""

    def __call__(self, help: str | None = None, panel: str | None = None) -> Any:
        return typer.Option(
            self.flag,
            envvar=self.env,
            show_envvar=True,
            help=help or self.help,
            rich_help_panel=panel,
        )

    def required(self, value: str | None) -> str:
        """``value``, or an error saying both ways of giving it."""
        if value is None:
            raise fail(f"{self.flag} is missing: give {self.flag} URL, or set {self.env}")
        return value


source_option = _UrlOption("--source", SOURCE_ENV)
target_option = _UrlOption("--target", TARGET_ENV, TARGET_HELP)
db_option = _UrlOption("--db", DATABASE_ENV)


#: a command that still takes its old positional URLs reads them from ``ctx.args``, so
#: that they stay out of its usage line
OLD_POSITIONALS: dict[str, Any] = {"allow_extra_args": True}


def old_option(name: str) -> Any:
    """An old spelling, kept working but out of the help."""
    return typer.Option(name, hidden=True)


def warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True, highlight=False)


def given(ctx: typer.Context, name: str) -> bool:
    """Whether parameter ``name`` was given on the command line: not left out, and not
    only the value of its environment variable or of the project file."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def renamed(ctx: typer.Context, value: Any, old_value: Any, *, new: str, old: str) -> Any:
    """The value of option ``new``, or that of its old spelling ``old`` when given, with
    one warning line; both given on the command line is an error (a value of ``new``
    from the environment or the project file gives way to the old flag)."""
    if old_value is None or old_value in ([], ()):
        return value
    warn(f"{old} is deprecated; use {new}")
    if given(ctx, _param(ctx, new)):
        raise fail(f"give {new} only (not also {old}, its old spelling)")
    return old_value


def _param(ctx: typer.Context, flag: str) -> str:
    """The parameter name behind ``flag`` (``--monitor-config`` is ``monitor_config``)."""
    name = flag.lstrip("-").replace("-", "_")
    if name not in ctx.params:
        raise RuntimeError(f"{ctx.command_path} has no parameter {name!r} for {flag}")
    return name


def project_path(ctx: typer.Context, positional: Path | None, flag: Path | None) -> Path | None:
    """The TypeORM project, given as PROJECT or as ``--project`` (the parameters
    ``project`` and ``project_flag``): the command line first, then the project file's
    ``project``; the same directory given both ways is no error."""
    if given(ctx, "project") and given(ctx, "project_flag") and positional != flag:
        raise fail("give the project once: as PROJECT or as --project, not both")
    if given(ctx, "project"):
        return positional
    return flag if flag is not None else positional


def one_database(value: str | None) -> str:
    """The ``--db`` URL: given, from ``ORMSHIFT_DATABASE_URL``, or (when libpq's
    environment names a database) ``postgresql://``, which libpq completes from it."""
    return db_option.required(value or libpq_database())


def libpq_database() -> str | None:
    """``postgresql://`` when libpq's environment names a database (libpq completes the
    URL from it), else None."""
    return "postgresql://" if any(os.environ.get(v) for v in LIBPQ_NAMING) else None


#: how every command's ``--table`` describes itself after its own verb
TABLE_HELP = "(repeatable, or comma-separated)"


def table_names(values: list[str] | None) -> list[str] | None:
    """The tables ``--table`` names: each value split at commas, blanks dropped, in the
    order given and once each; None when ``--table`` was not given; an error when it
    was given but names nothing (``--table ''``)."""
    if values is None:
        return None
    names = list(dict.fromkeys(n.strip() for item in values for n in item.split(",")))
    names = [n for n in names if n]
    if not names:
        raise fail("--table names no table; give names like --table item --table order")
    return names
