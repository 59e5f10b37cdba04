"""``ormshift demo``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from ormshift.cli.common import console, fail, handle_errors
from ormshift.cli.options import old_option, renamed


@handle_errors
def demo(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="directory for the manifest, models and report (default: ormshift-demo)",
        ),
    ] = None,
    scale: Annotated[
        float,
        typer.Option(help="data size: 1.0 is about 100k rows"),
    ] = 1.0,
    node: Annotated[
        bool, typer.Option("--node/--no-node", help="use TypeORM through Node when installed")
    ] = True,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="print the notes (also in the report)")
    ] = False,
    old_out: Annotated[Path | None, old_option("--out")] = None,
) -> None:
    """Run the whole pipeline on the bookstore example on an embedded PostgreSQL."""
    # heavy imports here, so that other commands start fast
    from ormshift.files import check_directory

    chosen = renamed(ctx, output, old_out, new="--output", old="--out")
    out = chosen if chosen is not None else Path("ormshift-demo")
    if not (math.isfinite(scale) and scale > 0):
        raise fail("--scale must be above 0 (1.0 is about 100k rows)")
    check_directory(out)
    from ormshift.demo import Demo

    result = Demo(out, lambda line: console.print(line, soft_wrap=True), scale=scale,
                  use_node=node, verbose=verbose).run()  # fmt: skip
    notes = ""
    if result.notes and not verbose:
        notes = f" ({result.notes} note(s) there; --verbose prints them)"
    console.print(  # one line, whatever the terminal's width: the path is for copying
        f"[bold green]done[/] ({result.status}): open {result.report_html}{notes}",
        soft_wrap=True,
    )
