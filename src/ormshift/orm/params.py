"""TypeORM's named parameters in SQL text: ``:name`` and ``:...list``, bound, never spliced.

TypeORM (its drivers' ``escapeQueryWithParameters``) scans the SQL for
``:(...)?([A-Za-z0-9_.]+)``, longest name first, and replaces a match only when the
name is a parameter: ``:name`` becomes one bound value (a list stays one array value),
``:...name`` one bound value per item joined by ``, ``, a function value its result as
SQL; a name it does not know stays as it was written. This module does the same on
SQLAlchemy: the SQL becomes literal text (its colons escaped, so SQLAlchemy's own
``:name`` syntax never applies) with bind parameters where TypeORM put ``$n``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["PARAMETER", "bind_named"]

PARAMETER = re.compile(r":(\.\.\.)?([A-Za-z0-9_.]+)")


def _literal(sql: str) -> ClauseElement:
    return text(sql.replace("\\", "\\\\").replace(":", "\\:"))


def bind_named(
    sql: str,
    params: Mapping[str, Any],
    splice: Callable[[str], list[ClauseElement]] | None = None,
) -> list[ClauseElement]:
    """``sql`` as clause parts with ``params`` bound the way TypeORM binds them.

    ``splice`` turns a literal chunk into parts (a caller's own placeholders, such as a
    column standing where ``{alias}`` was); by default a chunk is literal text."""
    literal = splice or (lambda chunk: [_literal(chunk)])
    parts: list[ClauseElement] = []
    bound: dict[str, ClauseElement] = {}
    pos = 0
    for match in PARAMETER.finditer(sql):
        spread, name = match.group(1), match.group(2)
        if name not in params:
            continue
        if match.start() > pos:
            parts.extend(literal(sql[pos : match.start()]))
        pos = match.end()
        value = params[name]
        if spread:
            items = list(value)
            for i, item in enumerate(items):
                if i:
                    parts.append(_literal(", "))
                parts.append(bindparam(None, item))
        elif callable(value):
            parts.extend(literal(str(value())))
        else:
            if name not in bound:  # TypeORM binds a repeated name once
                bound[name] = bindparam(None, value)
            parts.append(bound[name])
    if pos < len(sql):
        parts.extend(literal(sql[pos:]))
    return parts
