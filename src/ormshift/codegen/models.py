"""One module per entity: a typed declarative class, columns in TypeORM's order.

The class body is a fixed pipeline: docstring, ``__tablename__``, ``__table_args__``
(every constraint and index by its TypeORM name), columns, relationships,
``__mapper_args__`` (single-table inheritance, version column). Whatever cannot be
carried over is said in a comment at that place and returned as a `Finding`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ormshift.codegen.columns import render_column
from ormshift.codegen.constraints import column_items, exclusion_ddl, table_items
from ormshift.codegen.hooks import listener_lines, transformer_names
from ormshift.codegen.naming import doc_text, py_str
from ormshift.codegen.plan import ModelPlan, Plan, sti_declarers
from ormshift.codegen.relations import render_relation
from ormshift.codegen.source import INDENT, Call, Imports, Seq, comment, module_text, render

_INTEGER_TYPES = ("smallint", "integer", "bigint")


@dataclass(frozen=True)
class Finding:
    """Something that is not carried over faithfully: where, and why."""

    entity: str
    property: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.entity}.{self.property}" if self.property else self.entity
        return f"{where}: {self.message}"


def _mapper_args(plan: Plan, model: ModelPlan) -> list[str]:
    args: list[str] = []
    inh = model.entity.inheritance
    if inh is not None:
        if model.parent is None:
            attr = model.columns[inh.discriminator_column]
            args.append(f'"polymorphic_on": {py_str(attr)}')
        value = inh.discriminator_value
        disc = model.table.column(inh.discriminator_column)
        enum_values = next(
            (e.values for e in plan.manifest.enums if e.name == disc.enum_name), None
        )
        if disc.type in _INTEGER_TYPES:  # a numeric discriminator: loaded as an int
            if value is not None and value.lstrip("-").isdigit():
                args.append(f'"polymorphic_identity": {int(value)}')
        elif value is not None and (enum_values is None or value in enum_values):
            args.append(f'"polymorphic_identity": {py_str(value)}')
    if model.parent is None:
        for col, prop in model.properties.items():
            if prop.role == "version":
                args.append(f'"version_id_col": {model.columns[col]}')
    return args


def _child_owners(plan: Plan, model: ModelPlan) -> dict[str, tuple[str, ...]]:
    """For an STI root: column -> the classes declaring it, when the root does not.

    Those columns live on the root, as TypeORM creates them in the root's table; a
    class declares a column when it and all its descendants have it and its parent
    does not (TypeORM lists a child's columns on its ancestors too)."""
    inh = model.entity.inheritance
    if inh is None or model.parent is not None:
        return {}
    manifest = plan.manifest
    mapped = {m.entity.name: m.class_name for m in plan.models}
    found = sti_declarers(
        model.entity,
        manifest,
        [col.name for col in model.table.columns],
        [manifest.entity(n) for n in inh.children if n in mapped],
        lambda entity: {x.column for x in entity.columns},
    )
    return {k: tuple(mapped[m.name] for m in v) for k, v in found.items()}


def _class_lines(
    plan: Plan,
    model: ModelPlan,
    imports: Imports,
    findings: list[Finding],
    after_create: list[str],
) -> list[str]:
    entity = model.entity
    base = plan.model(model.parent).class_name if model.parent else "Base"
    if model.parent and plan.model(model.parent).module != model.module:
        imports.add(f".{plan.model(model.parent).module}", base)
    lines = [f"class {model.class_name}({base}):"]
    what = f"single-table child of {base}" if model.parent else f"table ``{model.table.name}``"
    lines.append(f'{INDENT}"""TypeORM entity ``{doc_text(entity.name)}`` ({doc_text(what)})."""')
    lines.append("")
    body: list[str] = []
    if model.parent is None:
        table = model.table
        body.append(f"{INDENT}__tablename__ = {py_str(table.name)}")
        where = plan.placement_of(table)
        items = table_items(table, plan.manifest, imports, where)
        extra: list[str] = []
        if table.schema and table.schema != plan.manifest.default_schema:
            extra.append(f'"schema": {py_str(table.schema)}')
        if table.comment:
            extra.append(f'"comment": {py_str(table.comment)}')
        if extra:
            items.append(Seq(tuple(extra), "{}"))
        if items:
            body += render(Seq(tuple(items)), 1, "__table_args__ = ")
        body.append("")
        enum_types = plan.enum_types()
        owners = _child_owners(plan, model)
        group: str | None = None
        for col in table.columns:
            owned = owners.get(col.name)
            owner = ", ".join(owned) if owned else None
            if owner != group:
                if body[-1] != "":
                    body.append("")
                if owner is not None:
                    body.append(f"{INDENT}# single-table children's columns: {owner}")
                group = owner
            prop = model.properties.get(col.name)
            rendered = render_column(
                col,
                table,
                imports,
                enum_types,
                attribute=model.columns[col.name],
                prop=prop,
                owners=owned or (),
                transformers=transformer_names(entity, prop) if prop is not None else (),
                typeorm=model.typeorm.get(col.name),
                items=column_items(col.name, plan.manifest, imports, where),
            )
            after_create += rendered.after_create
            for note in rendered.notes:
                findings.append(
                    Finding(entity.name, prop.property_path if prop else col.name, note)
                )
                body += comment(f"ormshift: {note}", 1)
            attr = model.columns[col.name]
            body += render(rendered.call, 1, f"{attr}: Mapped[{rendered.python}] = ")
    if (model.composites or model.relations) and body and body[-1] != "":
        body.append("")
    for comp in model.composites:
        imports.add(".embedded", comp.class_name)
        imports.add("sqlalchemy.orm", "Mapped", "composite")
        attrs = tuple(py_str(model.columns[column]) for _, column in comp.fields)
        body += render(
            Call("composite", (comp.class_name, *attrs)),
            1,
            f"{comp.attribute}: Mapped[{comp.class_name}] = ",
        )
    for rel in model.relations:
        rendered_rel = render_relation(plan, model, rel, imports)
        if rendered_rel is None:
            note = f"relation {rel.property_name!r} targets {rel.target!r}, which is not mapped"
            findings.append(Finding(entity.name, rel.property_name, note))
            body += comment(f"ormshift: {note}", 1)
            continue
        for note in rendered_rel.notes:
            findings.append(Finding(entity.name, rel.property_name, note))
            body += comment(f"ormshift: {note}", 1)
        if rendered_rel.omitted:
            body += comment(f"({rendered_rel.name} is not mapped)", 1)
            continue
        body += render(
            rendered_rel.call, 1, f"{rendered_rel.name}: Mapped[{rendered_rel.python}] = "
        )
    args = _mapper_args(plan, model)
    if args:
        if body and body[-1] != "":
            body.append("")
        body += render(Seq(tuple(args), "{}"), 1, "__mapper_args__ = ")
    while body and body[-1] == "":
        body.pop()
    taken = set(model.columns.values()) | {c.attribute for c in model.composites}
    taken |= {r.property_name for r in model.relations}
    taken |= {model.relation_attribute(r.property_name) for r in model.relations}
    body += listener_lines(plan, model, imports, taken)
    return lines + body


def render_model(plan: Plan, model: ModelPlan, findings: list[Finding]) -> str:
    """The source of the module holding ``model``."""
    imports = Imports.annotated()
    if model.parent is None:
        imports.add(".base", "Base")
    ddl: list[str] = []
    body = _class_lines(plan, model, imports, findings, ddl)
    if model.parent is None:
        ddl += exclusion_ddl(model.table)
    tail: list[str] = []
    for statement in ddl:
        imports.add(".base", "run_after_create")
        tail += ["", ""] if not tail else []
        tail += render(
            Call("run_after_create", (f"{model.class_name}.__table__", py_str(statement))), 0
        )
    doc = f"The ``{doc_text(model.entity.name)}`` model, generated by ormshift."
    return module_text(doc, imports, [*body, *tail])
