"""How the TypeScript listeners and subscribers of hooks turn a property into text
(``"entry " + this.label``, `${entity.id}`), for their ports to write the same."""

from __future__ import annotations

from typing import Any


def js_text(obj: Any, attr: str) -> str:
    """``String(obj.attr)`` as JavaScript writes it: "undefined" for a property the
    object does not have (a column a find did not select, one nobody set, a property
    only a listener sets), "null" for null."""
    if attr not in vars(obj):
        return "undefined"
    value = vars(obj)[attr]
    return "null" if value is None else str(value)


def js_get(obj: Any, attr: str) -> Any:
    """``obj.attr`` as JavaScript reads it: None for a property the object does not
    have (undefined), never a load of a column the find left out."""
    return vars(obj).get(attr)


def js_string(value: Any) -> str:
    """``String(value)``, as ``value + "-a"`` makes text of it: an array is its items
    joined by commas (null and undefined as nothing)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return "null" if value is None else str(value)


def js_text_method(value: Any, name: str) -> str:
    """``value`` for a call of String's method ``name`` on it: anything but a string
    has no such method in JavaScript (an array given to ``Any``: a TypeError)."""
    if not isinstance(value, str):
        raise TypeError(f"value.{name} is not a function")
    return value
