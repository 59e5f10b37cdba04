"""Row-by-row comparison of two key-ordered streams, values compared in Python.

Used where the two sides cannot render a value alike in SQL (a MySQL/MariaDB source with
JSON, float or simple-array columns): both sides stream their rows in key order through
a server-side cursor, so memory stays flat; JSON is compared by meaning (key order,
spacing and number scale do not matter), floats by value, simple-arrays by elements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ormshift.verify.checksum import ColumnView
from ormshift.verify.model import Difference, Key
from ormshift.verify.pgside import Values

Equal = Callable[[str | None, str | None], bool]


def _json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def _by_value(
    parse: Callable[[str], object], errors: type[Exception] | tuple[type[Exception], ...]
) -> Equal:
    """Equal when both are NULL, or both parse to equal values (else equal as text)."""

    def equal(a: str | None, b: str | None) -> bool:
        if a is None or b is None:
            return a is b
        try:
            return bool(parse(a) == parse(b))
        except errors:
            return a == b

    return equal


json_equal = _by_value(_json, ValueError)
float_equal = _by_value(float, ValueError)
_number_equal = _by_value(Decimal, InvalidOperation)


def pg_array(text: str) -> list[str | None]:
    """The elements of a one-dimensional PostgreSQL array literal (``{a,"b c",NULL}``)."""
    body = text.strip()[1:-1]
    out: list[str | None] = []
    if not body:
        return out
    i, n = 0, len(body)
    while i <= n:
        if i < n and body[i] == '"':
            i += 1
            chars = []
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                chars.append(body[i])
                i += 1
            out.append("".join(chars))
            i += 2  # closing quote and comma
        else:
            end = body.find(",", i)
            end = n if end < 0 else end
            item = body[i:end]
            out.append(None if item == "NULL" else item)
            i = end + 1
    return out


def array_equal(a: str | None, b: str | None) -> bool:
    """TypeORM simple-array text (``a,b``) on one side, either form on the other."""
    if a is None or b is None:
        return a is b

    def items(v: str) -> list[str | None]:
        if v.startswith("{"):
            return pg_array(v)
        parts: list[str | None] = list(v.split(",")) if v else []
        return parts

    return items(a) == items(b)


def _bool_equal(a: str | None, b: str | None) -> bool:
    truth = {"1": True, "0": False, "true": True, "false": False, "t": True, "f": False}
    if a is None or b is None:
        return a is b
    return truth.get(a.lower(), a) == truth.get(b.lower(), b)


def equality(view: ColumnView) -> Equal:
    """How two display texts of this column pair are compared."""
    return {
        "json": json_equal,
        "float": float_equal,
        "simple-array": array_equal,
        "number": _number_equal,
        "bool": _bool_equal,
    }.get(view.kind, lambda a, b: a == b)


def typed_key(key: Key, integer: Sequence[bool]) -> tuple[int | str, ...]:
    """The key as both databases order it: numbers as numbers, text by code point."""
    return tuple(int(v) if i else v for v, i in zip(key, integer, strict=True))


def diff_keyed_streams(
    table: str,
    key_names: Sequence[str],
    integer: Sequence[bool],
    views: Sequence[ColumnView],
    source: Iterator[tuple[Key, Values]],
    target: Iterator[tuple[Key, Values]],
) -> Iterator[Difference]:
    names = [v.name for v in views]
    equals = [equality(v) for v in views]
    s, t = next(source, None), next(target, None)
    while s is not None or t is not None:
        sk = typed_key(s[0], integer) if s is not None else None
        tk = typed_key(t[0], integer) if t is not None else None
        if t is None or (s is not None and sk is not None and tk is not None and sk < tk):
            assert s is not None
            key = dict(zip(key_names, s[0], strict=True))
            yield Difference(table, "missing", key, source=dict(zip(names, s[1], strict=True)))
            s = next(source, None)
        elif s is None or (sk is not None and tk is not None and tk < sk):
            key = dict(zip(key_names, t[0], strict=True))
            yield Difference(table, "extra", key, target=dict(zip(names, t[1], strict=True)))
            t = next(target, None)
        else:
            key = dict(zip(key_names, s[0], strict=True))
            for i, name in enumerate(names):
                if not equals[i](s[1][i], t[1][i]):
                    yield Difference(table, "changed", key, name, s[1][i], t[1][i])
            s, t = next(source, None), next(target, None)
