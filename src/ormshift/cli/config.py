"""``ormshift.toml``: a project's settings, so that a run is ``ormshift migrate`` alone.

The file is ``./ormshift.toml`` when it exists, or the one ``--config`` (or
``ORMSHIFT_CONFIG``) names. Its keys are the commands' own option names without the
dashes (``batch-size = 5000``, ``table = ["author", "book"]``, ``dry-run = true``; an
underscore spelling works too) and, for a command's arguments, their names
(``project``, ``manifest``). Keys at the top level apply to every command that takes
them (``source``, ``target``, ``table``, ``mapping``); a table per command
(``[migrate]``, ``[verify]``, ``[schema.diff]``) applies to that command and wins over
the top level (but ``extract`` and ``generate`` take ``table`` from their own table
only). A URL can be left out of the file: ``source-env = "PROD_DATABASE_URL"``
takes the URL from that environment variable when the command runs. Relative paths
are relative to the file.

Precedence: the command line, then the option's own environment variable
(``ORMSHIFT_SOURCE_URL`` ...), then this file, then the built-in default. The values
become the commands' defaults (click's ``default_map``), so they are parsed and
checked exactly as the same flags would be.
"""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ormshift.errors import OrmshiftError

CONFIG_ENV = "ORMSHIFT_CONFIG"
FILE_NAME = "ormshift.toml"
#: a key ending so names the environment variable that holds the value
ENV_SUFFIX = "-env"
#: where a command that reports a broken file itself (health) finds the error: ``ctx.meta``
CONFIG_ERROR = "ormshift.config_error"
#: keys a command takes from its own table only, not from the top level: a top-level
#: ``table`` names what the data commands move and check, and a manifest or models cut
#: down to those tables would surprise
SECTION_ONLY: dict[tuple[str, ...], frozenset[str]] = {
    ("extract",): frozenset({"table"}),
    ("generate",): frozenset({"table"}),
}


class ConfigError(OrmshiftError):
    """The project file cannot be read or names something no command takes."""


@dataclass(frozen=True)
class Setting:
    """One option (or argument) a command takes from the file."""

    param: str  # the parameter's name, the key of click's default_map
    path: bool  # a file or directory: resolved against the file's directory
    multiple: bool  # a repeatable option: the value is a list


def locate(explicit: Path | None, cwd: Path | None = None) -> Path | None:
    """The project file: ``explicit`` (``--config`` or ``ORMSHIFT_CONFIG``), which must
    exist, else ``ormshift.toml`` in ``cwd`` when there is one, else none."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(
                f"--config {explicit}: no such file; give the path of an ormshift.toml"
            )
        return explicit
    found = (cwd or Path.cwd()) / FILE_NAME
    return found if found.is_file() else None


def read(path: Path) -> dict[str, Any]:
    """The file's TOML, or one line saying where it is broken."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def settings_of(command: Any) -> dict[str, Setting]:
    """The file keys ``command`` (a click command) takes: each visible option's long
    names without the dashes, and each argument's name."""
    hints = _hints(command.callback)
    found: dict[str, Setting] = {}
    for param in command.params:
        if getattr(param, "hidden", False) or param.name is None:
            continue
        setting = Setting(
            param=param.name,
            path=_is_path(hints.get(param.name)),
            multiple=bool(getattr(param, "multiple", False)),
        )
        if param.param_type_name == "argument":
            names = [param.name]
        else:
            names = [opt.lstrip("-") for opt in param.opts if opt.startswith("--")]
        for name in names:
            found[name] = setting
    return found


def default_map(
    root: Any, data: Mapping[str, Any], invoked: str | None, base: Path
) -> dict[str, Any]:
    """click's ``default_map`` for the root group ``root`` from the file's ``data``: the
    entry of the invoked command (or of each command of an invoked group) only, so a
    setting another command needs (an unset ``*-env`` variable) stops nothing else."""
    commands = _commands(root)
    _check_keys(data, commands)
    result: dict[str, Any] = {}
    for path, command in commands.items():
        if invoked is None or path[0] != invoked:
            continue
        section = _section(data, path)
        only = SECTION_ONLY.get(path, frozenset())
        top = {k: v for k, v in _top_level(data).items() if _setting_key(k) not in only}
        values = _values(command, {**top, **section}, base, path)
        if values:
            node = result
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = values
    return result


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    found: dict[tuple[str, ...], Any] = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.update(_commands(command, (*prefix, name)))
        else:
            found[(*prefix, name)] = command
    return found


def _section(data: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node: Any = data
    for part in path:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    if not isinstance(node, Mapping):
        raise ConfigError(f"[{'.'.join(path)}] must be a table of settings")
    return {k: v for k, v in node.items() if not isinstance(v, Mapping)}


def _top_level(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings for every command: the top level's keys that are not tables."""
    return {k: v for k, v in data.items() if not isinstance(v, Mapping)}


def _key(name: str) -> str:
    return name.replace("_", "-")


def _check_keys(data: Mapping[str, Any], commands: Mapping[tuple[str, ...], Any]) -> None:
    """Every key names an option of some command and every table a command: a
    misspelt setting is an error, not a silent default."""
    everywhere = {key for c in commands.values() for key in settings_of(c)}
    groups = {path[:n] for path in commands for n in range(1, len(path))}
    _check_tables(data, (), set(commands), groups)
    for key in _top_level(data):
        if _setting_key(key) not in everywhere:
            raise ConfigError(
                f"ormshift.toml: no command takes {key!r}; use an option name such as "
                "source, target, table or batch-size (without the dashes)"
            )
    for path, command in commands.items():
        known = settings_of(command)
        for key in _section(data, path):
            if _setting_key(key) not in known:
                shown = ", ".join(sorted(k for k in known if not k.startswith("no-")))
                raise ConfigError(
                    f"ormshift.toml [{'.'.join(path)}]: {' '.join(path)} takes no {key!r}; "
                    f"it takes {shown}"
                )


def _check_tables(
    node: Mapping[str, Any],
    prefix: tuple[str, ...],
    commands: set[tuple[str, ...]],
    groups: set[tuple[str, ...]],
) -> None:
    for key, value in node.items():
        if not isinstance(value, Mapping):
            continue
        path = (*prefix, key)
        if path in groups:
            _check_tables(value, path, commands, groups)
        elif path not in commands:
            raise ConfigError(
                f"ormshift.toml: [{'.'.join(path)}] is not a command; name a command "
                "(such as [migrate] or [schema.diff]) or remove the table"
            )
        else:
            nested = [k for k, v in value.items() if isinstance(v, Mapping)]
            if nested:
                raise ConfigError(
                    f"ormshift.toml: [{'.'.join((*path, nested[0]))}]: "
                    f"{' '.join(path)} has no subcommands"
                )


def _setting_key(key: str) -> str:
    name = _key(key)
    return name[: -len(ENV_SUFFIX)] if name.endswith(ENV_SUFFIX) else name


def _values(
    command: Any, raw: Mapping[str, Any], base: Path, path: tuple[str, ...]
) -> dict[str, Any]:
    known = settings_of(command)
    values: dict[str, Any] = {}
    for key, given in raw.items():
        name = _key(key)
        if name.endswith(ENV_SUFFIX) and name[: -len(ENV_SUFFIX)] in known:
            setting = known[name[: -len(ENV_SUFFIX)]]
            value = _from_env(str(given), key, path)
        elif name in known:
            setting, value = known[name], given
        else:
            continue  # a top-level key for other commands
        values[setting.param] = _shaped(value, setting, base, key)
    return values


def _from_env(variable: str, key: str, path: tuple[str, ...]) -> str:
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(
            f"ormshift.toml: {key} names {variable}, which is not set; set it before "
            f"running {' '.join(path)}"
        )
    return value


def _shaped(value: Any, setting: Setting, base: Path, key: str) -> Any:
    if setting.multiple:
        items = value if isinstance(value, list) else [value]
        return [_resolved(v, setting, base) for v in items]
    if isinstance(value, list | dict):
        raise ConfigError(f"ormshift.toml: {key} takes one value, not a list or a table")
    return _resolved(value, setting, base)


def _resolved(value: Any, setting: Setting, base: Path) -> Any:
    if setting.path and isinstance(value, str) and not Path(value).is_absolute():
        return str(base / value)
    return value


def _hints(callback: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(callback)
    except Exception:  # an annotation that does not resolve: no path settings
        return {}


def _is_path(annotation: Any) -> bool:
    if annotation is None:
        return False
    if annotation is Path:
        return True
    return any(_is_path(arg) for arg in typing.get_args(annotation))
