"""Writes `ormshift.orm.aio._generated` from the sync classes' signatures.

The async face has no logic of its own: each of its classes is a thin wrapper whose
methods are the sync class's public methods, with the same parameters and types, made
``async def`` where TypeORM returns a Promise (they run the sync method through the
greenlet bridge, `ormshift.orm.bridge.call`) and kept sync where TypeORM's is pure
(``create``, the builders' chained calls). Nothing here is written by hand per method:
`SPECS` says which class is wrapped, which methods stay sync and which are left out,
and the rest follows from ``inspect.signature`` and ``typing.get_overloads`` of the sync
class, with the annotation text copied as written there (every module of the runtime
postpones its annotations), its names imported from where the sync module imports them.

``python -m ormshift.orm.aio.generate`` rewrites the module; ``--check`` exits 1 when
the module on disk differs from what it would write (tests/unit/test_aio_generated.py
runs the same check, so a change to a sync signature that is not regenerated fails CI).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import re
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SPECS", "ClassSpec", "main", "render"]

TARGET = Path(__file__).with_name("_generated.py")


@dataclass(frozen=True)
class ClassSpec:
    """One sync class and how its async wrapper is made."""

    module: str
    name: str
    #: the wrapper's name, and the base it extends: a hand-written face (in `faces`),
    #: or the wrapper of the sync class's own base (its type arguments given)
    wrapper: str
    face: str
    #: methods kept sync (pure in TypeORM, or the builders' chained calls)
    sync: frozenset[str] = frozenset()
    #: methods left out: written by hand in the face, or not on the async face yet
    skip: frozenset[str] = frozenset()
    #: a builder a wrapped method returns: the face puts it in this wrapper (`WRAPPED`)
    returned: bool = False


_QB = "ormshift.orm.querybuilder"
SPECS: tuple[ClassSpec, ...] = (
    ClassSpec(
        "ormshift.orm.repository",
        "Repository",
        "AsyncRepository",
        "RepositoryFace",
        sync=frozenset({"create"}),
    ),
    ClassSpec(
        "ormshift.orm.trees.repository",
        "TreeRepository",
        "AsyncTreeRepository",
        "AsyncRepository",
    ),
    ClassSpec(
        "ormshift.orm.manager",
        "EntityManager",
        "AsyncEntityManager",
        "EntityManagerFace",
        sync=frozenset({"create"}),
        # transaction, get_repository and get_tree_repository are the face's; the
        # listener's manager is not on the async face
        skip=frozenset({"transaction", "get_repository", "get_tree_repository", "bound"}),
    ),
    ClassSpec(
        f"{_QB}.builder",
        "SelectQueryBuilder",
        "AsyncSelectQueryBuilder",
        "SelectQueryBuilderFace",
        sync=frozenset({"get_parameters", "get_query_and_parameters", "get_sql", "get_query"}),
        # stream() is the face's (an async iterator over the server-side cursor)
        skip=frozenset({"stream"}),
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.write",
        "WriteQueryBuilder",
        "AsyncWriteQueryBuilder",
        "AsyncSelectQueryBuilder[Any]",
        # the statement's text, as the select builder's: no round trip
        sync=frozenset({"get_query_and_parameters", "get_sql", "get_query"}),
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.insert",
        "InsertQueryBuilder",
        "AsyncInsertQueryBuilder",
        "AsyncWriteQueryBuilder",
        # the statement's text, as the select builder's: no round trip
        sync=frozenset({"get_query_and_parameters", "get_sql", "get_query"}),
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.update",
        "UpdateQueryBuilder",
        "AsyncUpdateQueryBuilder",
        "AsyncWriteQueryBuilder",
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.update",
        "SoftDeleteQueryBuilder",
        "AsyncSoftDeleteQueryBuilder",
        "AsyncWriteQueryBuilder",
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.delete",
        "DeleteQueryBuilder",
        "AsyncDeleteQueryBuilder",
        "AsyncWriteQueryBuilder",
        returned=True,
    ),
    ClassSpec(
        f"{_QB}.relation",
        "RelationQueryBuilder",
        "AsyncRelationQueryBuilder",
        "RelationQueryBuilderFace",
        returned=True,
    ),
)

#: sync class name -> its wrapper, in annotations of what the face returns or takes
WRAPPERS = {spec.name: spec.wrapper for spec in SPECS}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OWN = {"Any", "Self", "cast", "overload", "call", "Generic"}


def _module_names(module: str) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """What a sync module's names are: imported ones (also under TYPE_CHECKING) as
    (module, name), and its TypeVars as the source text that makes them."""
    mod = importlib.import_module(module)
    tree = ast.parse(inspect.getsource(mod))
    names: dict[str, tuple[str, str]] = {}
    typevars: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is None and "." not in alias.name:
                    names[alias.name] = (alias.name, "")
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = (node.module, alias.name)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                value = node.value
                if (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and value.func.id == "TypeVar"
                ):
                    typevars[target.id] = ast.unparse(node)
                else:
                    names[target.id] = (module, target.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = (module, node.target.id)
        elif isinstance(node, ast.ClassDef | ast.FunctionDef):
            names[node.name] = (module, node.name)
    return names, typevars


@dataclass
class _Out:
    imports: dict[str, tuple[str, str]]
    typevars: dict[str, str]
    classes: list[str]

    def need(self, text: str, names: dict[str, tuple[str, str]], typevars: dict[str, str]) -> None:
        for word in _NAME.findall(text):
            if word in _OWN or word in WRAPPERS.values() or hasattr(builtins, word):
                continue
            if word in typevars:
                known = self.typevars.setdefault(word, typevars[word])
                if known != typevars[word]:
                    raise SystemExit(f"TypeVar {word} is made two ways: {known}, {typevars[word]}")
            elif word in names:
                known_import = self.imports.setdefault(word, names[word])
                if _resolved(known_import) is not _resolved(names[word]):
                    raise SystemExit(f"{word} names both {known_import} and {names[word]}")
            elif word not in {"None", "True", "False"}:
                raise SystemExit(f"cannot tell where {word} comes from")


def _resolved(where: tuple[str, str]) -> object:
    module, name = where
    found = importlib.import_module(module)
    return getattr(found, name) if name else found


def _annotation(value: Any) -> str:
    if value is inspect.Parameter.empty:
        raise SystemExit("every parameter of a wrapped method must be annotated")
    if not isinstance(value, str):
        raise SystemExit(f"annotation {value!r} is not postponed text")
    return value


def _wrapped(text: str) -> str:
    """An annotation with the sync classes it names replaced by their wrappers."""
    for sync_name, wrapper in WRAPPERS.items():
        text = re.sub(rf"\b{sync_name}\b", wrapper, text)
    return text


def _param_type(text: str, sync_name: str) -> str:
    """A parameter's annotation on the face: ``Self`` (a condition function of the
    builder) is the sync builder it is called with; a builder given is a wrapper."""
    text = re.sub(r"\bSelf\b", f"{sync_name}[Any]", text)
    if re.fullmatch(r"SelectQueryBuilder\[[^\]]*\]", text):
        return _wrapped(text)
    return text


def _signature(fn: Callable[..., Any], sync_name: str) -> tuple[str, str, str, str]:
    """The face's parameter list, the call of the sync method, the return text and
    every annotation's (for the imports)."""
    sig = inspect.signature(fn)
    params: list[str] = []
    annotations: list[str] = []
    args: list[str] = []
    star = False
    for p in list(sig.parameters.values())[1:]:
        ann = _param_type(_annotation(p.annotation), sync_name)
        annotations.append(ann)
        unwrap = ann != _annotation(p.annotation) and "Async" in ann
        passed = f"{p.name}._sync" if unwrap else p.name
        default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
        if p.kind is p.VAR_POSITIONAL:
            params.append(f"*{p.name}: {ann}")
            args.append(f"*{p.name}")
            star = True
        elif p.kind is p.VAR_KEYWORD:
            params.append(f"**{p.name}: {ann}")
            args.append(f"**{p.name}")
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                params.append("*")
                star = True
            params.append(f"{p.name}: {ann}{default}")
            args.append(f"{p.name}={passed}")
        else:
            params.append(f"{p.name}: {ann}{default}")
            args.append(passed)
    ret = _annotation(sig.return_annotation)
    return ", ".join(["self", *params]), ", ".join(args), ret, " ".join([*annotations, ret])


def _methods(cls: type[Any], spec: ClassSpec) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, fn in cls.__dict__.items():
        if name.startswith("_") or name in spec.skip or not inspect.isfunction(fn):
            continue
        yield name, fn


def _derived(spec: ClassSpec) -> bool:
    """The wrapper extends another generated wrapper (the sync class's base's)."""
    return spec.face.split("[")[0] in WRAPPERS.values()


def _override_ignored(fn: Callable[..., Any]) -> str:
    """The sync method's own ``type: ignore[override]`` (a write builder's ``from_``
    narrows the select builder's), carried to the wrapper, which narrows it the same way."""
    first = inspect.getsource(fn).lstrip().splitlines()[0]
    return "  # type: ignore[override]" if "type: ignore[override]" in first else ""


def _render_class(spec: ClassSpec, out: _Out) -> str:
    cls = getattr(importlib.import_module(spec.module), spec.name)
    names, typevars = _module_names(spec.module)
    params = getattr(cls, "__parameters__", ())
    generic = ", ".join(p.__name__ for p in params)
    out.need(generic, names, typevars)
    head = f"{spec.face}[{generic}]" if generic and "[" not in spec.face else spec.face
    lines = [
        f"class {spec.wrapper}({head}):",
        f'    """`{spec.module}.{spec.name}` on the asyncio face (generated)."""',
    ]
    if _derived(spec):
        # the sync object is the derived sync class (its own methods are called on it)
        own = f"{spec.name}[{generic}]" if generic else spec.name
        out.need(spec.name, names, typevars)
        lines += ["", f"    _sync: {own}"]
    for name, fn in _methods(cls, spec):
        overloads = typing.get_overloads(fn)
        kind = _kind(name, fn, overloads, spec)
        for over in overloads:
            sig, _, ret, used = _signature(over, spec.name)
            out.need(used, names, typevars)
            ret = _face_return(ret, kind, spec)
            prefix = "async def" if kind == "async" else "def"
            lines += ["", "    @overload", f"    {prefix} {name}({sig}) -> {ret}: ..."]
        sig, args, ret, used = _signature(fn, spec.name)
        out.need(used, names, typevars)
        face_ret = _face_return(ret, kind, spec)
        target = "self._sync_any" if overloads else "self._sync"
        invoke = f"{target}.{name}({args})"
        ignored = _override_ignored(fn)
        lines.append("")
        if kind == "async":
            lines.append(f"    async def {name}({sig}) -> {face_ret}:{ignored}")
            lines.append(f"        return await call(lambda: {invoke})")
        elif kind == "wrap" or face_ret != ret:
            lines.append(f"    def {name}({sig}) -> {face_ret}:{ignored}")
            lines.append(f'        return cast("{face_ret}", self._face({invoke}))')
        else:
            lines.append(f"    def {name}({sig}) -> {face_ret}:{ignored}")
            lines.append(f"        return {invoke}")
    return "\n".join(lines)


def _kind(
    name: str, fn: Callable[..., Any], overloads: Sequence[Callable[..., object]], spec: ClassSpec
) -> str:
    """``sync``, ``wrap`` (sync, its result on the face: a builder's chained call) or
    ``async`` (what TypeORM returns a Promise for: everything else)."""
    if name in spec.sync:
        return "sync"
    returns = [_annotation(inspect.signature(f).return_annotation) for f in [fn, *overloads]]
    if any(re.search(rf"\b(Self|{'|'.join(WRAPPERS)})\b", r) for r in returns):
        return "wrap"
    return "async"


def _face_return(ret: str, kind: str, spec: ClassSpec) -> str:
    if kind == "async":
        return ret
    if ret in ("Self", f"{spec.name}[T_co]"):
        return "Self"
    return _wrapped(ret)


def render() -> str:
    """The text of `ormshift.orm.aio._generated`."""
    out = _Out({}, {}, [])
    classes = [_render_class(spec, out) for spec in SPECS]
    by_module: dict[str, list[str]] = {}
    plain: list[str] = []
    for local, (module, name) in sorted(out.imports.items()):
        if not name:
            plain.append(f"    import {module}")
            continue
        by_module.setdefault(module, []).append(name if name == local else f"{name} as {local}")
    imports = [*plain] + [
        f"    from {module} import {', '.join(sorted(items))}"
        for module, items in sorted(by_module.items())
    ]
    typevars = [out.typevars[name] for name in sorted(out.typevars)]
    head = [
        '"""The asyncio face\'s wrapper classes: GENERATED by `ormshift.orm.aio.generate`'
        " from the sync",
        "classes' signatures. Do not edit; run ``python -m ormshift.orm.aio.generate``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload",
        "",
        "from ormshift.orm.aio.faces import (",
        *sorted({f"    {spec.face}," for spec in SPECS if not _derived(spec)}),
        ")",
        "from ormshift.orm.bridge import call",
        "",
        "if TYPE_CHECKING:",
        *imports,
        "",
        f"__all__ = {sorted(spec.wrapper for spec in SPECS)!r}".replace("'", '"'),
        "",
        *typevars,
        "",
    ]
    wrapped = [
        "#: sync builder (module, class) -> its wrapper: what `faces` puts a returned one in",
        "WRAPPED: dict[tuple[str, str], type[Any]] = {",
        *[
            f'    ("{spec.module}", "{spec.name}"): {spec.wrapper},'
            for spec in SPECS
            if spec.returned
        ],
        "}",
    ]
    return "\n".join(head) + "\n\n" + "\n\n\n".join(classes) + "\n\n\n" + "\n".join(wrapped) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args == ["--check"]:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET} is out of date: run python -m ormshift.orm.aio.generate")
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
