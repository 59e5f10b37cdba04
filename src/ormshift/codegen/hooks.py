"""Listeners, value transformers and subscribers as stubs the user fills in.

TypeORM runs them as TypeScript, which cannot be translated; the generated package
has their shape so that ``ormshift.orm`` calls them at TypeORM's points:

* each listener (``@BeforeInsert() makeKey()``) is a method of the model with the
  matching decorator (``@before_insert``), whose body raises until it is ported; the
  method is named in snake case (``make_key``) unless attributes keep TypeORM's names;
* each column with transformers has ``Transformed(<type>, Name(), ...)`` as its type,
  and ``transformers.py`` one class per transformer (``to_database`` /
  ``from_database``, raising until ported);
* the DataSource's subscribers are classes in ``subscribers.py``, and ``SUBSCRIBERS``
  lists them in TypeORM's order, for ``DataSource(url, subscribers=SUBSCRIBERS)``.
"""

from __future__ import annotations

import keyword
import re

from ormshift.codegen.naming import py_str, snake_case
from ormshift.codegen.plan import ModelPlan, Plan
from ormshift.codegen.source import INDENT, Imports, Seq, comment, module_text, render
from ormshift.manifest import Entity, EntityColumn, Subscriber

__all__ = [
    "hook_notes",
    "listener_lines",
    "render_subscribers",
    "render_transformers",
    "transformer_names",
]

#: TypeORM's listener type -> (decorator in ormshift.orm, TypeORM's decorator)
_LISTENERS = {
    "after-load": ("after_load", "AfterLoad"),
    "before-insert": ("before_insert", "BeforeInsert"),
    "after-insert": ("after_insert", "AfterInsert"),
    "before-update": ("before_update", "BeforeUpdate"),
    "after-update": ("after_update", "AfterUpdate"),
    "before-remove": ("before_remove", "BeforeRemove"),
    "after-remove": ("after_remove", "AfterRemove"),
    "before-soft-remove": ("before_soft_remove", "BeforeSoftRemove"),
    "after-soft-remove": ("after_soft_remove", "AfterSoftRemove"),
    "before-recover": ("before_recover", "BeforeRecover"),
    "after-recover": ("after_recover", "AfterRecover"),
}
_EVENT_TYPES = {
    "Insert": "InsertEvent",
    "Update": "UpdateEvent",
    "Remove": "RemoveEvent",
    "SoftRemove": "RemoveEvent",
    "Recover": "RemoveEvent",
}
_IDENT = re.compile(r"[^0-9A-Za-z_]")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _method_name(name: str, taken: set[str]) -> str:
    clean = _IDENT.sub("_", name) or "listener"
    if clean[0].isdigit() or keyword.iskeyword(clean) or clean in taken:
        clean = f"{clean}_listener"
    return clean


def transformer_names(entity: Entity, prop: EntityColumn) -> tuple[str, ...]:
    """The class of each transformer of ``prop`` (an object literal's named after the
    entity and property)."""
    out = []
    for i, given in enumerate(prop.transformers):
        name = given
        if not name or not name.isidentifier() or keyword.iskeyword(name):
            stem = _IDENT.sub("_", prop.property_path.title().replace(".", ""))
            name = f"{entity.name}{stem}Transformer" + (str(i + 1) if i else "")
        out.append(name)
    return tuple(out)


def _all_transformers(plan: Plan) -> list[tuple[str, str]]:
    """(class name, where it is used) of every transformer, each class once."""
    found: dict[str, str] = {}
    for model in plan.models:
        for prop in model.entity.columns:
            for name in transformer_names(model.entity, prop):
                found.setdefault(name, f"{model.entity.name}.{prop.property_path}")
    return sorted(found.items())


def render_transformers(plan: Plan) -> str | None:
    """``transformers.py``: a stub class per transformer; None when there are none."""
    found = _all_transformers(plan)
    if not found:
        return None
    imports = Imports.annotated()
    imports.add("typing", "Any")
    body: list[str] = []
    for name, where in found:
        if body:
            body += ["", ""]
        body += [
            f"class {name}:",
            f'{INDENT}"""A TypeORM value transformer: port ``to`` and ``from`` by hand."""',
            "",
            *comment(f"used by {where}", 1),
            f"{INDENT}def to_database(self, value: Any) -> Any:",
            f"{INDENT * 2}raise NotImplementedError({py_str('port to')})",
            "",
            f"{INDENT}def from_database(self, value: Any) -> Any:",
            f"{INDENT * 2}raise NotImplementedError({py_str('port from')})",
        ]
    doc = "Value transformers of the models: stubs to fill in (they raise until then)."
    return module_text(doc, imports, body)


def _inherited(plan: Plan, model: ModelPlan) -> set[tuple[str, str]]:
    if model.parent is None:
        return set()
    parent = plan.model(model.parent)
    return {(lst.type, lst.method) for lst in parent.entity.listeners} | _inherited(plan, parent)


def listener_lines(plan: Plan, model: ModelPlan, imports: Imports, taken: set[str]) -> list[str]:
    """The model's own listeners as stub methods (a single-table parent's are its own)."""
    entity = model.entity
    inherited = _inherited(plan, model)
    lines: list[str] = []
    # a method named as a decorator would shadow it for the listeners after it
    taken = taken | {decorator for decorator, _ in _LISTENERS.values()}
    for listener in entity.listeners:
        if (listener.type, listener.method) in inherited:
            continue
        decorator, typeorm = _LISTENERS[listener.type]
        imports.add("ormshift.orm", decorator)
        method = (
            listener.method if plan.attribute_names == "typeorm" else snake_case(listener.method)
        )
        name = _method_name(method, taken)
        taken.add(name)
        lines += [
            "",
            f"{INDENT}@{decorator}",
            f"{INDENT}def {name}(self) -> None:",
            f'{INDENT * 2}"""TypeORM\'s ``@{typeorm}()``: port the body by hand."""',
            f"{INDENT * 2}raise NotImplementedError({py_str(f'port {listener.method}')})",
        ]
    return lines


def _subscriber_lines(plan: Plan, sub: Subscriber, imports: Imports) -> list[str]:
    name = sub.name if sub.name.isidentifier() else _IDENT.sub("_", sub.name) or "Subscriber"
    lines = [
        f"class {name}(EntitySubscriber):",
        f'{INDENT}"""A TypeORM subscriber: port its methods by hand."""',
    ]
    if sub.listen_to is not None:
        target = next((m for m in plan.models if m.entity.name == sub.listen_to), None)
        imports.add("typing", "Any")
        lines += ["", f"{INDENT}def listen_to(self) -> type[Any] | None:"]
        if target is None:
            lines += comment(f"ormshift: {sub.listen_to!r} is not a mapped entity", 2)
            lines.append(f"{INDENT * 2}return None")
        else:
            imports.add(f".{target.module}", target.class_name)
            lines.append(f"{INDENT * 2}return {target.class_name}")
    for event in sub.events:
        raise_line = f"{INDENT * 2}raise NotImplementedError({py_str(f'port {event}')})"
        if event == "afterLoad":
            imports.add("ormshift.orm", "LoadEvent")
            imports.add("typing", "Any")
            lines += ["", f"{INDENT}def after_load(self, entity: Any, event: LoadEvent) -> None:"]
        elif "Transaction" in event:
            imports.add("ormshift.orm", "TransactionEvent")
            lines += ["", f"{INDENT}def {_snake(event)}(self, event: TransactionEvent) -> None:"]
        else:
            kind = event.removeprefix("before").removeprefix("after")
            event_type = _EVENT_TYPES.get(kind)
            if event_type is None:  # beforeQuery / afterQuery
                lines += ["", *comment(f"ormshift: {event} (query events) has no counterpart", 1)]
                continue
            imports.add("ormshift.orm", event_type)
            lines += ["", f"{INDENT}def {_snake(event)}(self, event: {event_type}) -> None:"]
        lines.append(raise_line)
    return lines


def render_subscribers(plan: Plan) -> str | None:
    """``subscribers.py``: a stub class per subscriber and ``SUBSCRIBERS``; None when the
    project has none."""
    subs = plan.manifest.subscribers
    if not subs:
        return None
    imports = Imports.annotated()
    imports.add("ormshift.orm", "EntitySubscriber")
    body: list[str] = []
    names = []
    for sub in subs:
        if body:
            body += ["", ""]
        lines = _subscriber_lines(plan, sub, imports)
        names.append(lines[0].split("(")[0].removeprefix("class "))
        body += lines
    body += ["", ""]
    body += comment(
        "the DataSource's subscribers, in TypeORM's order, for ormshift.orm's "
        "DataSource(url, subscribers=SUBSCRIBERS)",
        0,
    )
    body += render(Seq(tuple(f"{n}()" for n in names), "[]"), 0, "SUBSCRIBERS = ")
    doc = "Subscribers of the TypeORM DataSource: stubs to fill in."
    return module_text(doc, imports, body)


def hook_notes(plan: Plan) -> list[tuple[str, str | None, str]]:
    """(entity, property, message) of every listener and subscriber stub to fill in,
    for `generate`'s notes (a column's transformers are noted with the column)."""
    out: list[tuple[str, str | None, str]] = []
    for model in plan.models:
        entity = model.entity
        inherited = _inherited(plan, model)
        for listener in entity.listeners:
            if (listener.type, listener.method) not in inherited:
                _, typeorm = _LISTENERS[listener.type]
                out.append(
                    (
                        entity.name,
                        listener.method,
                        f"@{typeorm} listener: a stub method in {model.module}.py; "
                        "port its body by hand",
                    )
                )
    for sub in plan.manifest.subscribers:
        out.append(
            ("*", sub.name, "subscriber: a stub in subscribers.py; port its methods by hand")
        )
    return out
