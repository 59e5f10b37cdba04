"""Dataclasses to JSON and back, driven by their type hints.

Fields equal to their default are left out of the JSON, so manifests stay readable;
``load(dump(m)) == m`` holds exactly. Anything the hints do not allow is refused with
the JSON path of the offending value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, Literal, TypeVar, get_args, get_origin

T = TypeVar("T")


class SerdeError(ValueError):
    """A JSON value does not fit the dataclass it should become."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '$'}: {message}")
        self.path = path


def to_jsonable(obj: object) -> Any:
    """Turn a dataclass tree into dicts, lists and scalars."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if _is_default(f, value):
                continue
            out[f.name] = to_jsonable(value)
        return out
    if isinstance(obj, tuple | list):
        return [to_jsonable(v) for v in obj]
    return obj


def _is_default(f: dataclasses.Field[Any], value: object) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    return False


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(cls: type[T], data: Any, path: str = "") -> T:
    """Build ``cls`` from JSON data, checking every value against the type hints."""
    return typing.cast(T, _convert(cls, data, path))


def _convert(hint: Any, data: Any, path: str) -> Any:
    origin = get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = get_args(hint)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, data, path)
            except SerdeError as exc:
                errors.append(exc)
        raise errors[0] if errors else SerdeError(path, "unexpected null")
    if origin is Literal:
        if data not in get_args(hint):
            allowed = ", ".join(repr(a) for a in get_args(hint))
            raise SerdeError(path, f"{data!r} is not one of {allowed}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise SerdeError(path, f"expected a list, got {type(data).__name__}")
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{path}[{i}]") for i, v in enumerate(data))
        if len(args) != len(data):
            raise SerdeError(path, f"expected {len(args)} items, got {len(data)}")
        return tuple(
            _convert(a, v, f"{path}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=True))
        )
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _convert_dataclass(hint, data, path)
    if hint is bool:
        if not isinstance(data, bool):
            raise SerdeError(path, f"expected true or false, got {data!r}")
        return data
    if hint is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise SerdeError(path, f"expected an integer, got {data!r}")
        return data
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise SerdeError(path, f"expected a number, got {data!r}")
        return float(data)
    if hint is str:
        if not isinstance(data, str):
            raise SerdeError(path, f"expected a string, got {data!r}")
        return data
    raise SerdeError(path, f"unsupported type {hint!r}")  # pragma: no cover - model bug


def _convert_dataclass(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise SerdeError(path, f"expected an object for {cls.__name__}, got {type(data).__name__}")
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SerdeError(path, f"unknown field {unknown[0]!r} in {cls.__name__}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        sub = f"{path}.{name}"
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SerdeError(sub, f"required field of {cls.__name__} is missing")
    return cls(**kwargs)
