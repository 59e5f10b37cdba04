"""``ormshift demo``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from ormshift.cli.common import console, fail, handle_errors


@handle_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="directory for the manifest, models and report")
    ] = Path("ormshift-demo"),
    scale: Annotated[
        float, typer.Option(help="data size relative to the default ~100k rows")
    ] = 1.0,
    node: Annotated[
        bool, typer.Option("--node/--no-node", help="use TypeORM through Node when installed")
    ] = True,
) -> None:
    """Run the whole pipeline on the bookstore example on an embedded PostgreSQL."""
    # heavy imports here, so that other commands start fast
    from ormshift.files import check_directory

    if not (math.isfinite(scale) and scale > 0):
        raise fail("--scale must be above 0 (1.0 is about 100k rows)")
    check_directory(out)
    from ormshift.demo import Demo

    result = Demo(out, lambda line: console.print(line, soft_wrap=True), scale=scale,
                  use_node=node).run()  # fmt: skip
    console.print(f"[bold green]done[/] ({result.status}): open {result.report_html}")
