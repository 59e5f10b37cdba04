"""SQL fragments a user writes (conditions, selections, orders), made into the text the
builder sends: ``alias.propertyPath`` becomes the quoted column, ``:name`` and
``:...list`` become bound parameters.

One scan over the fragment, outside string literals and quoted identifiers:

* ``alias.path`` (a dotted name not after a name character, a dot or a quote) whose
  alias has an entity: the path is looked up in `names.replacements` (a column's
  property path, property name or database name; a to-one relation or
  ``relation.referencedKey`` for its foreign key) and written ``"alias"."column"``. A
  path the entity does not have is `UnknownAliasProperty`. A dotted name whose first part
  is no alias of the builder (a schema, a table of a raw subquery) is left as written.
* ``:name`` whose key the builder has a parameter for: one bound value (the same key
  twice is one parameter, as TypeORM binds it); ``:...name``: one bound value per item
  of the list, comma separated (``IN (:...ids)``); a key without a parameter is left.
  ``::`` (a cast) is never a parameter.

Values are never written into the text: the result is driver SQL in psycopg's
``%(name)s`` style with ``%`` doubled, and the values by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ormshift.orm.metadata import EntityInfo
from ormshift.orm.querybuilder.errors import UnknownAlias, UnknownAliasProperty
from ormshift.orm.querybuilder.names import escape, replacements
from ormshift.orm.querybuilder.run import node_pg_param

__all__ = ["Binds", "column_sql", "items_of", "render", "resolve_path"]

_PARAM = re.compile(r":(\.\.\.)?([A-Za-z0-9_.]+)")
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_HASHED_PATH = re.compile(r"[0-9a-f]{40}(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.\"'")


@dataclass
class Binds:
    """The values bound so far, by the driver name each got; with ``origins``, which
    builder parameter (and item of its list) each came from (`text_cache`)."""

    values: dict[str, Any] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    origins: dict[str, tuple[str, int | None]] | None = None

    def add(self, value: Any, origin: tuple[str, int | None] | None = None) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = node_pg_param(value)
        if origin is not None and self.origins is not None:
            self.origins[name] = origin
        return f"%({name})s"

    def key(self, key: str, value: Any) -> str:
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = self.add(value, (key, None))
        return found


def items_of(value: Any) -> list[Any]:
    """The values ``:...key`` binds for a parameter: a list's items, else the value."""
    return list(value) if isinstance(value, list | tuple | set) else [value]


def column_sql(alias: str, info: EntityInfo, key: str) -> str:
    return f"{escape(alias)}.{escape(info.columns[key].name)}"


def resolve_path(alias: str, info: EntityInfo, path: str) -> str:
    """The attribute key ``alias.path`` names, or `UnknownAliasProperty`."""
    found = replacements(info.cls).get(path)
    if found is None:
        raise UnknownAliasProperty(alias, info.name, path, list(replacements(info.cls)))
    return found


def _quoted_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def render(
    text: str,
    aliases: Mapping[str, EntityInfo | None],
    params: Mapping[str, Any],
    binds: Binds,
    *,
    bind: bool = True,
) -> str:
    """``text`` with its property paths rewritten and (``bind``) its parameters bound
    and its ``%`` doubled; without ``bind``, parameters and ``%`` are left as written
    (TypeORM's ``getQuery``, for a subquery inside another query)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "'\"":
            j = _quoted_end(text, i)
            out.append(text[i:j].replace("%", "%%") if bind else text[i:j])
            i = j
            continue
        if c == ":" and bind:
            if text.startswith("::", i):
                out.append("::")
                i += 2
                continue
            m = _PARAM.match(text, i)
            if m is not None and m.group(2) in params:
                value = params[m.group(2)]
                if m.group(1):
                    key = m.group(2)
                    items = items_of(value)
                    out.append(", ".join(binds.add(v, (key, i)) for i, v in enumerate(items)))
                else:
                    out.append(binds.key(m.group(2), value))
                i = m.end()
                continue
            out.append(":")
            i += 1
            continue
        if c.isdigit() and (i == 0 or text[i - 1] not in _NAME_CHARS):
            # an alias TypeORM hashed (`names.build_alias`) may start with a digit
            m = _HASHED_PATH.match(text, i)
            if m is not None and m.group().partition(".")[0] in aliases:
                out.append(_rewrite(m.group(), aliases))
                i = m.end()
                continue
        if (c.isalpha() or c == "_") and (i == 0 or text[i - 1] not in _NAME_CHARS):
            m = _PATH.match(text, i)
            if m is not None:
                out.append(_rewrite(m.group(), aliases))
                i = m.end()
                continue
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            out.append(text[i:j])
            i = j
            continue
        out.append("%%" if c == "%" and bind else c)
        i += 1
    return "".join(out)


def _rewrite(dotted: str, aliases: Mapping[str, EntityInfo | None]) -> str:
    alias, _, path = dotted.partition(".")
    if alias not in aliases:
        # an alias holding a dot: a write builder's, TypeORM's table path
        # (``schema.table``), which its replacePropertyNames escapes whole
        for name in aliases:
            if "." in name and dotted.startswith(name + "."):
                alias, path = name, dotted[len(name) + 1 :]
                break
    info = aliases.get(alias)
    if info is None:
        return dotted
    return column_sql(alias, info, resolve_path(alias, info, path))


def property_token(
    token: str, aliases: Mapping[str, EntityInfo | None]
) -> tuple[str, EntityInfo, str] | None:
    """``(alias, info, key)`` when ``token`` is exactly ``alias.propertyPath`` of an
    entity alias; None when it is no dotted name; `UnknownAlias` when its alias is none
    of the builder's."""
    if not _PATH.fullmatch(token):
        return None
    alias, _, path = token.partition(".")
    if alias not in aliases:
        raise UnknownAlias(alias, list(aliases))
    info = aliases[alias]
    if info is None:
        return None
    return alias, info, resolve_path(alias, info, path)
