"""Python source as ``ruff format`` leaves it: expressions that fit stay on one line,
the others are split one item per line with a trailing comma, recursively.

Expressions are small trees (`Call`, `Seq`) of already rendered atoms; `Imports` keeps
the import block sorted as ruff's isort rules (I001) want it.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field

from ormshift.codegen.naming import py_str

LINE_LENGTH = 88
INDENT = "    "


@dataclass(frozen=True)
class Call:
    """``func(args..., name=value...)``; a keyword argument is a ``(name, expr)`` pair."""

    func: str
    args: tuple[Expr | tuple[str, Expr], ...] = ()


@dataclass(frozen=True)
class Seq:
    """A tuple or list literal."""

    items: tuple[Expr, ...]
    brackets: str = "()"


Expr = str | Call | Seq


def _arg(arg: Expr | tuple[str, Expr]) -> tuple[str, Expr]:
    return (f"{arg[0]}=", arg[1]) if isinstance(arg, tuple) else ("", arg)


def flat(expr: Expr) -> str:
    """``expr`` on one line."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, Call):
        return expr.func + "(" + ", ".join(k + flat(v) for k, v in map(_arg, expr.args)) + ")"
    inner = ", ".join(flat(i) for i in expr.items)
    if expr.brackets == "()" and len(expr.items) == 1:
        inner += ","
    return expr.brackets[0] + inner + expr.brackets[1]


def render(expr: Expr, level: int, head: str = "", tail: str = "") -> list[str]:
    """Lines for ``head + expr + tail`` at indent ``level``, split where too long."""
    pad = INDENT * level
    line = pad + head + flat(expr) + tail
    if len(line) <= LINE_LENGTH or isinstance(expr, str):
        return [line]
    if isinstance(expr, Call):
        opening, closing = expr.func + "(", ")"
        items = [_arg(a) for a in expr.args]
    else:
        opening, closing = expr.brackets[0], expr.brackets[1]
        items = [("", i) for i in expr.items]
    if not items:
        return [line]
    out = [pad + head + opening]
    for key, value in items:
        out += render(value, level + 1, key, ",")
    out.append(pad + closing + tail)
    return out


def comment(text: str, level: int) -> list[str]:
    """``text`` as ``#`` comment lines that fit the line length."""
    pad = INDENT * level + "# "
    return textwrap.wrap(
        text,
        LINE_LENGTH - len(pad),
        initial_indent=pad,
        subsequent_indent=pad,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [pad.rstrip()]


def after_imports(body: list[str]) -> list[str]:
    """The blank lines ruff's isort wants between the imports and ``body``."""
    first = next((line for line in body if line), "")
    return ["", ""] if first.startswith(("class ", "def ", "@", "async def ")) else [""]


def module_text(doc: str, imports: Imports, body: list[str]) -> str:
    """A generated module: its docstring ``doc``, ``imports`` and ``body``, no blank line last."""
    lines = [f'"""{doc}"""', "", *imports.lines(), *after_imports(body), *body]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def member_key(name: str) -> tuple[int, str, str]:
    # ruff's isort with order-by-type: CONSTANTS, then Classes, then the rest
    if name.isupper() and len(name) > 1:
        rank = 0
    elif name[:1].isupper():
        rank = 1
    else:
        rank = 2
    return rank, name.lower(), name


_SECTIONS = ("__future__", "stdlib", "third", "local")
_STDLIB = frozenset(sys.stdlib_module_names)


@dataclass
class Imports:
    """The import block of one module; rendered sorted and wrapped."""

    plain: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    type_only: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def annotated(cls) -> Imports:
        """A module's imports, from ``from __future__ import annotations`` on."""
        imports = cls()
        imports.add("__future__", "annotations")
        return imports

    def add(self, module: str, *names: str) -> None:
        if names:
            self.names[module].update(names)
        else:
            self.plain.add(module)

    def add_type_only(self, module: str, name: str) -> None:
        self.type_only[module].add(name)

    @staticmethod
    def _section(module: str) -> str:
        if module == "__future__":
            return "__future__"
        if module.startswith("."):
            return "local"
        return "stdlib" if module.split(".", maxsplit=1)[0] in _STDLIB else "third"

    @staticmethod
    def _from_lines(module: str, names: set[str], level: int) -> list[str]:
        members = tuple(sorted(names, key=member_key))
        line = INDENT * level + f"from {module} import " + ", ".join(members)
        if len(line) <= LINE_LENGTH:
            return [line]
        return [
            INDENT * level + f"from {module} import (",
            *(INDENT * (level + 1) + f"{m}," for m in members),
            INDENT * level + ")",
        ]

    def _block(self, plain: set[str], names: dict[str, set[str]], level: int) -> list[str]:
        by_section: dict[str, list[str]] = defaultdict(list)
        for module in sorted(plain, key=str.lower):
            by_section[self._section(module)].append(INDENT * level + f"import {module}")
        for module in sorted(names, key=lambda m: (m.lower(), m)):
            by_section[self._section(module)] += self._from_lines(module, names[module], level)
        out: list[str] = []
        for section in _SECTIONS:
            if by_section.get(section):
                if out:
                    out.append("")
                out += by_section[section]
        return out

    def lines(self) -> list[str]:
        if self.type_only:
            self.add("typing", "TYPE_CHECKING")
        out = self._block(self.plain, self.names, 0)
        if self.type_only:
            out += ["", "if TYPE_CHECKING:"]
            out += self._block(set(), self.type_only, 1)
        return out


def string_lines(text: str, level: int, width: int = 88) -> list[str]:
    """``text`` as implicitly concatenated literals, one per line at ``level``, each line
    within ``width`` (split after whitespace where it can be); ``ruff format`` keeps
    them as they are."""
    room = width - len(INDENT) * level
    parts: list[str] = []
    current = ""
    for token in re.split(r"(?<=\s)", text):
        rest = token
        while rest:
            if len(py_str(current + rest)) <= room:
                current, rest = current + rest, ""
            elif current:
                parts.append(current)
                current = ""
            else:  # one token too long for a line: cut it
                cut = max(1, room // 2)
                while cut < len(rest) and len(py_str(rest[: cut + 1])) <= room:
                    cut += 1
                parts.append(rest[:cut])
                rest = rest[cut:]
    if current or not parts:
        parts.append(current)
    return [f"{INDENT * level}{py_str(p)}" for p in parts]
