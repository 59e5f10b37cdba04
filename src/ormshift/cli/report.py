"""``ormshift report RUN.json -o report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ormshift.cli.common import console, handle_errors
from ormshift.files import check_writable, write_text_atomic


@handle_errors
def report(
    run: Annotated[Path, typer.Argument(help="a JSON report written with --report")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the HTML page to write")] = Path(
        "report.html"
    ),
) -> None:
    """Turn a JSON report into one self-contained HTML page with tables and plots."""
    from ormshift.report import read, render

    check_writable(output)
    page = render(read(run))
    write_text_atomic(output, page)
    console.print(f"wrote {output} ({len(page) // 1024} KiB)")
