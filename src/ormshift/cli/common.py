"""What every command shares: one console, and errors printed as one line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ormshift.dsn import redact
from ormshift.errors import OrmshiftError

P = ParamSpec("P")
R = TypeVar("R")

console = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``message`` as the one error line and return the exit to raise."""
    line = " ".join(redact(message).split())  # one line, whatever the message held
    console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an `OrmshiftError` (or Ctrl-C) into one line on stderr and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OrmshiftError as exc:
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None
        except BrokenPipeError:
            sys.exit(1)

    return wrapper
