"""The ``ormshift`` command."""

from __future__ import annotations

import typer

from ormshift import __version__
from ormshift.cli.extract import extract

app = typer.Typer(
    name="ormshift",
    help="Move a TypeORM data layer, and its data, to Python and SQLAlchemy 2.x.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(extract)
# Further commands register here, one line each (see the modules in ormshift/cli/).


@app.command()
def version() -> None:
    """Print the ormshift version."""
    typer.echo(__version__)


def main() -> None:
    app()
