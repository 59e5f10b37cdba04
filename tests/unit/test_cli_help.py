"""The help says each default once: an option whose default the help line shows
(``[default: 50000]``) does not repeat it in its own words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command

from ormshift.cli.main import app


def commands(group: Any, path: str = "ormshift") -> Iterator[tuple[str, Any]]:
    for name, command in getattr(group, "commands", {}).items():
        yield f"{path} {name}", command
        yield from commands(command, f"{path} {name}")


def test_defaults_are_shown_once() -> None:
    root = get_command(app)
    seen = 0
    repeated = []
    for path, command in commands(root):
        for param in command.params:
            shown = getattr(param, "show_default", False) and param.default not in (None, False)
            if shown and not param.hidden:
                seen += 1
                if "default" in (param.help or "").lower():
                    repeated.append(f"{path} {param.opts[0]}: {param.help}")
    assert seen > 10  # the check looked at the options
    assert repeated == []
