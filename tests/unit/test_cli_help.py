"""The help says each default once: an option whose default the help line shows
(``[default: 50000]``) does not repeat it in its own words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

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


def test_commands_are_listed_in_pipeline_order_in_panels() -> None:
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "TERM": "dumb"}).output
    rows = [line.strip("│ ").split(" ", 1)[0] for line in text.splitlines() if "│" in line]
    root: Any = get_command(app)
    commands = [r for r in rows if r in root.commands]
    pipeline = ["extract", "generate", "compare", "migrate", "verify", "rollback"]
    assert commands[: len(pipeline)] == pipeline
    assert set(commands[len(pipeline) :]) == {"health", "report", "schema", "demo", "version"}
    panels = [line for line in text.splitlines() if line.startswith("╭─")]
    assert [p.split(" ")[1] for p in panels] == ["Options", "Pipeline", "Operate", "More"]


def test_long_commands_group_their_options_in_panels() -> None:
    root: Any = get_command(app)
    for name, first in (("migrate", "Databases"), ("verify", "Databases"), ("compare", "What")):
        params = root.commands[name].params
        options = [p for p in params if not p.hidden and p.param_type_name == "option"]
        assert len(options) > 10
        assert [p.opts[0] for p in options if not p.rich_help_panel] == [], name
        text = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        panels = [line.split(" ")[1] for line in text.splitlines() if line.startswith("╭─")]
        if any(p.param_type_name == "argument" for p in params):  # compare's PROJECT
            assert panels[0] == "Arguments", (name, panels)
            panels = panels[1:]
        assert panels[:2] == ["Options", first] and panels[-1] == "Output", (name, panels)
