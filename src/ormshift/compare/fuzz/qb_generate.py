"""Random query-builder chains (``op: qb``) over the whole entity graph.

A chain starts on a random entity's repository builder and adds, each drawn from one
``random.Random`` (the same seed, the same chains): joins along relations (left or
inner, selected or not, sometimes with a condition), conditions on columns of any alias
(``where`` / ``andWhere`` / ``orWhere``, in ``Brackets`` or ``NotBrackets``,
``whereInIds``) with values from the seed rows or new ones, always as parameters
(``:p0``, ``:...p1``), ``withDeleted``, orders (with nulls first/last) ended by the keys
of every selected alias so that results have one order, pages (``skip``/``take``,
``limit``/``offset``) only when ordered, and a terminal: ``getMany``, ``getOne``,
``getManyAndCount``, ``getCount``, ``getExists``, ``getRawMany`` of a few columns, or a
grouped ``COUNT(*)``; entity terminals sometimes ``loadRelationIdAndMap`` a relation of
the root. About one chain in ten is ``setFindOptions`` with find options drawn as the
find fuzzer draws them (in three of ten after the builder's own conditions, the options
cut to those ormshift merges into them), then an entity terminal. About one chain in
seven is a write instead: an update builder setting one or two columns to seed or new
values, a delete, soft delete or restore builder, with conditions on bare property names
(TypeORM's write builders prefix no alias) or (update, soft delete, restore)
``whereEntity`` of seed rows' keys, sometimes ``andWhereInIds`` and ``returning`` the
keys; an insert builder of one to three rows (new values, or a seed row's unique values
so that they collide), sometimes ``orIgnore`` or ``orUpdate`` of some columns on a
unique key (sometimes ``skipUpdateIfNoValuesChanged``, an ``overwriteCondition``); or a
relation query builder ``relation(Entity, "path").of(seed row)`` adding, removing or
setting seed rows of the related entity, or loading them. Its database state is compared
after each write."""

from __future__ import annotations

from typing import Any

from ormshift.compare.fuzz.generate import Generator, merge, nest, unique_paths
from ormshift.compare.fuzz.schema import FuzzEntity
from ormshift.manifest.model import Relation

__all__ = ["QbGenerator"]

#: kinds conditions are made on (floats left out: psycopg binds a float8 where
#: node-postgres sends text PostgreSQL reads as the column's real)
_COMPARABLE = frozenset(
    {"int", "bigint", "numeric", "str", "char", "bool", "date", "timestamp", "timestamptz", "enum"}
)
_ORDERABLE = _COMPARABLE - {"bool"}


#: relation counts (``{books: MoreThan(1)}``), which TypeORM adds as subqueries
_COUNTING = frozenset({"MoreThan", "LessThan", "MoreThanOrEqual", "LessThanOrEqual"})


class QbGenerator:
    """``op: qb`` operations; values drawn through the find fuzzer's `Generator`."""

    def __init__(self, base: Generator, *, writes: bool = True) -> None:
        self.base = base
        #: also write chains (update / delete / soft delete / restore builders)
        self.writes = writes
        self.rng = base.rng
        self.schema = base.schema
        self.count = 0

    def _param(self, params: dict[str, Any], value: Any) -> str:
        self.count += 1
        name = f"p{self.count}"
        params[name] = value
        return name

    def _condition(
        self, aliases: list[tuple[str, FuzzEntity]], params: dict[str, Any]
    ) -> str | None:
        alias, ent = self.rng.choice(aliases)
        props = [p for p in ent.plain if p.kind in _COMPARABLE]
        if not props:
            return None
        prop = self.rng.choice(props)
        # a write builder's conditions name bare properties (TypeORM: no alias prefix)
        path = prop.path if not alias else f"{alias}.{prop.path}"
        roll = self.rng.random()
        if roll < 0.12:
            return f"{path} IS {self.rng.choice(['NULL', 'NOT NULL'])}"
        value = self.base._value(ent, prop)
        if value is None:
            return f"{path} IS NULL"
        if roll < 0.3:
            values = [value] + [self.base._value(ent, prop) for _ in range(self.rng.randrange(3))]
            values = [v for v in values if v is not None]
            return f"{path} IN (:...{self._param(params, values)})"
        if prop.kind in _ORDERABLE and roll < 0.6:
            op = self.rng.choice([">", "<", ">=", "<="])
        elif prop.kind in ("str", "char") and roll < 0.7:
            text = str(value)
            value = text[: max(1, len(text) // 2)] + "%"
            op = self.rng.choice(["LIKE", "ILIKE"])
        else:
            op = self.rng.choice(["=", "=", "<>"])
        return f"{path} {op} :{self._param(params, value)}"

    def _wheres(
        self, aliases: list[tuple[str, FuzzEntity]], chain: list[list[Any]], depth: int = 0
    ) -> None:
        for i in range(self.rng.randrange(0, 4 if depth == 0 else 3)):
            method = "where" if i == 0 else self.rng.choice(["andWhere", "andWhere", "orWhere"])
            if depth < 1 and self.rng.random() < 0.2:
                inner: list[list[Any]] = []
                self._wheres(aliases, inner, depth + 1)
                if inner:
                    key = "$notBrackets" if self.rng.random() < 0.3 else "$brackets"
                    chain.append([method, {key: inner}])
                continue
            params: dict[str, Any] = {}
            cond = self._condition(aliases, params)
            if cond is not None:
                chain.append([method, cond, params] if params else [method, cond])

    def _joins(
        self, root: tuple[str, FuzzEntity], chain: list[list[Any]]
    ) -> list[tuple[str, FuzzEntity, bool]]:
        joined: list[tuple[str, FuzzEntity, bool]] = [(root[0], root[1], True)]
        for n in range(self.rng.randrange(0, 3)):
            alias, ent, selected = self.rng.choice(joined)
            rels = [
                r
                for r in ent.relations
                if r.target in self.schema.entities and "." not in r.property_name
            ]
            if not rels:
                continue
            rel = self.rng.choice(rels)
            target = self.schema.entities[rel.target]
            name = f"j{n + 1}"
            direction = self.rng.choice(["left", "left", "inner"])
            # a relation of a single-table child, joined from its parent, is selected
            # into the child's entities only (docs/orm.md): joined, not selected
            select = selected and self._own(ent, rel.property_name) and self.rng.random() < 0.7
            method = f"{direction}Join" + ("AndSelect" if select else "")
            call: list[Any] = [method, f"{alias}.{rel.property_name}", name]
            if self.rng.random() < 0.2:
                params: dict[str, Any] = {}
                cond = self._condition([(name, target)], params)
                if cond is not None:
                    call += [cond, params] if params else [cond]
            chain.append(call)
            joined.append((name, target, select))
        return joined

    def _own_relations(self, ent: FuzzEntity) -> list[Relation]:
        """``ent``'s own relations (no embedded's) to known entities, shared by its children."""
        return [
            r
            for r in ent.relations
            if r.target in self.schema.entities
            and "." not in r.property_name
            and self._own(ent, r.property_name)
        ]

    def _own(self, ent: FuzzEntity, relation: str) -> bool:
        """Whether every single-table child of ``ent`` has ``relation`` too."""
        children = [
            e
            for e in self.schema.entities.values()
            if e is not ent and e.table.name == ent.table.name and e.discriminator is not None
        ]
        return all(any(r.property_name == relation for r in c.relations) for c in children)

    def _orders(self, joined: list[tuple[str, FuzzEntity, bool]], chain: list[list[Any]]) -> None:
        shown = [(a, e) for a, e, s in joined if s]
        first = True
        for _ in range(self.rng.randrange(0, 3)):
            alias, ent = self.rng.choice(shown)
            props = [p for p in ent.plain if p.kind in _ORDERABLE]
            if not props:
                continue
            prop = self.rng.choice(props)
            call: list[Any] = [
                "orderBy" if first else "addOrderBy",
                f"{alias}.{prop.path}",
                self.rng.choice(["ASC", "DESC"]),
            ]
            if self.rng.random() < 0.3:
                call.append(self.rng.choice(["NULLS FIRST", "NULLS LAST"]))
            chain.append(call)
            first = False
        for alias, ent in shown:
            for key in ent.primary:
                chain.append(["orderBy" if first else "addOrderBy", f"{alias}.{key.path}"])
                first = False

    def _write(self, ent: FuzzEntity) -> dict[str, Any]:
        """An update, delete, soft delete or restore builder's chain on ``ent``."""
        kinds = ["update", "update", "delete"]
        if ent.role("delete-date"):
            kinds += ["softDelete", "restore"]
        kind = self.rng.choice(kinds)
        chain: list[list[Any]] = []
        if kind == "update":
            props = [p for p in ent.plain if p.kind in _COMPARABLE and not p.meta.primary]
            props = [p for p in props if p.role is None]
            if not props:
                kind = "delete"
            else:
                values: dict[str, Any] = {}
                for prop in self.rng.sample(props, min(len(props), self.rng.randrange(1, 3))):
                    values = merge(values, nest(prop.path, self.base._value(ent, prop)))
                chain += [["update", {"$entity": ent.name}], ["set", values]]
        if kind != "update":
            chain += [[kind], ["from", {"$entity": ent.name}]]
        keys = self.base._pk(ent) if kind != "delete" and self.rng.random() < 0.25 else None
        if keys is not None:
            more = self.base._pk(ent) if self.rng.random() < 0.4 else None
            chain.append(["whereEntity", [keys, more] if more is not None else keys])
        else:
            self._wheres([("", ent)], chain)
        if self.rng.random() < 0.2:
            row_keys = self.base._pk(ent)
            if row_keys and len(ent.primary) == 1:
                chain.append(["andWhereInIds", [row_keys.get(ent.primary[0].path)]])
        return self._executed(ent, chain)

    def _insert(self, ent: FuzzEntity) -> dict[str, Any]:
        """An insert builder of one to three rows, sometimes on conflict ignoring or
        updating some of the columns the rows give."""
        paths = self.rng.choice(unique_paths(ent) or [[]])
        rows = [
            self.base._upsert_values(ent, paths) if paths else self.base.values(ent, nested=False)
            for _ in range(self.rng.randrange(1, 4))
        ]
        chain: list[list[Any]] = [["insert"], ["into", {"$entity": ent.name}]]
        chain.append(["values", rows[0] if len(rows) == 1 and self.rng.random() < 0.5 else rows])
        roll = self.rng.random()
        by_path = {p.path: p for p in ent.plain}
        if paths and roll < 0.3:
            chain.append(["orIgnore"])
        elif paths and roll < 0.6 and all(p in by_path for p in paths):
            given = sorted(
                {
                    p.column.name
                    for p in ent.plain
                    if not p.meta.primary and p.role is None and _given(rows[0], p.path)
                }
            )
            if given:
                overwrite = self.rng.sample(given, self.rng.randrange(1, len(given) + 1))
                target = [by_path[p].column.name for p in paths]
                call: list[Any] = ["orUpdate", sorted(overwrite), target]
                options = self._upsert_options(ent)
                if options:
                    call.append(options)
                chain.append(call)
        return self._executed(ent, chain)

    def _executed(self, ent: FuzzEntity, chain: list[list[Any]]) -> dict[str, Any]:
        """The write ``chain`` run: sometimes returning the primary key, then executed."""
        if self.rng.random() < 0.3 and ent.primary:
            chain.append(["returning", [p.path for p in ent.primary]])
        return {"op": "qb", "chain": [*chain, ["execute"]]}

    def _upsert_options(self, ent: FuzzEntity) -> dict[str, Any]:
        """``orUpdate``'s options, sometimes: ``skipUpdateIfNoValuesChanged`` and an
        ``overwriteCondition`` (a condition on the table's name, TypeORM's alias of an
        insert, or a mapping of one property)."""
        options: dict[str, Any] = {}
        if self.rng.random() < 0.2:
            options["skipUpdateIfNoValuesChanged"] = True
        roll = self.rng.random()
        if roll < 0.2:
            params: dict[str, Any] = {}
            cond = self._condition([(ent.table.name, ent)], params)
            if cond is not None:
                options["overwriteCondition"] = (
                    {"where": cond, "parameters": params} if params else {"where": cond}
                )
        elif roll < 0.35:
            props = [p for p in ent.plain if p.kind in _COMPARABLE]
            if props:
                prop = self.rng.choice(props)
                value = self.base._value(ent, prop)
                options["overwriteCondition"] = {"where": nest(prop.path, value)}
        return options

    def _relation(self, ent: FuzzEntity) -> dict[str, Any] | None:
        """``relation(Entity, "path").of(row)`` and a write or a load on it."""
        rels = self._own_relations(ent)
        of = self.base._pk(ent)
        if not rels or of is None:
            return None
        rel = self.rng.choice(rels)
        target = self.schema.entities[rel.target]
        chain: list[list[Any]] = [
            ["relation", {"$entity": ent.name}, rel.property_name],
            ["of", self._key(ent, of)],
        ]
        if rel.kind in ("one-to-many", "many-to-many"):
            kind = self.rng.choice(["add", "add", "remove", "addAndRemove", "loadMany"])
            if kind == "loadMany":
                chain.append([kind])
            else:
                picks = [self._ref(target) for _ in range(self.rng.randrange(1, 3))]
                ids = [k for k in picks if k is not None]
                if not ids:
                    return None
                call: list[Any] = [kind, ids if len(ids) > 1 or self.rng.random() < 0.5 else ids[0]]
                if kind == "addAndRemove":
                    other = self._ref(target)
                    call.append([other] if other is not None else [])
                chain.append(call)
        else:
            kind = self.rng.choice(["set", "set", "loadOne"])
            if kind == "loadOne":
                chain.append([kind])
            else:
                ref = None if rel.nullable and self.rng.random() < 0.25 else self._ref(target)
                chain.append(["set", ref])
        return {"op": "qb", "chain": chain}

    def _ref(self, ent: FuzzEntity) -> Any:
        """A seed row of ``ent`` as the relation builder takes it: its key value or an
        object of its keys."""
        pk = self.base._pk(ent)
        return None if pk is None else self._key(ent, pk)

    def _key(self, ent: FuzzEntity, pk: dict[str, Any]) -> Any:
        if len(ent.primary) == 1 and "." not in ent.primary[0].path and self.rng.random() < 0.6:
            return pk[ent.primary[0].path]
        return pk

    def operation(self) -> dict[str, Any]:
        names = [n for n in sorted(self.schema.entities) if self.schema.entities[n].primary]
        ent = self.schema.entities[self.rng.choice(names)]
        if self.writes and self.rng.random() < 0.25:
            roll = self.rng.random()
            if roll < 0.25:
                return self._insert(ent)
            if roll < 0.45:
                made = self._relation(ent)
                if made is not None:
                    return made
            return self._write(ent)
        if self.rng.random() < 0.1:
            return self._find_options(ent)
        root = ("e", ent)
        chain: list[list[Any]] = []
        joined = self._joins(root, chain)
        self._wheres([(a, e) for a, e, _ in joined], chain)
        if ent.role("delete-date") and self.rng.random() < 0.2:
            chain.append(["withDeleted"])
        if self.rng.random() < 0.15:
            row_keys = self.base._pk(ent)
            if row_keys and len(ent.primary) == 1:
                key = ent.primary[0]
                chain.insert(0, ["whereInIds", [row_keys.get(key.path)]])
        terminal = self.rng.choice(
            [
                "getMany",
                "getMany",
                "getManyAndCount",
                "getCount",
                "getExists",
                "getRawMany",
                "getOne",
                "group",
            ]
        )
        if terminal in ("getCount", "getExists"):
            chain.append([terminal])
        elif terminal == "group":
            # not by a date the write chains set on each side's clock
            props = [p for p in ent.plain if p.kind in _ORDERABLE and p.role is None]
            if not props:
                chain.append(["getCount"])
            else:
                prop = self.rng.choice(props)
                chain += [
                    ["select", f"e.{prop.path}", "g"],
                    ["addSelect", "COUNT(*)", "n"],
                    ["groupBy", f"e.{prop.path}"],
                    ["orderBy", "g", "ASC", "NULLS FIRST"],
                    ["getRawMany"],
                ]
        else:
            self._orders(joined, chain)
            if terminal == "getRawMany":
                cols = [f"{a}.{p.path}" for a, e, s in joined if s for p in e.primary]
                extra = [p for p in ent.plain if p.kind in _COMPARABLE]
                cols += [f"e.{p.path}" for p in self.rng.sample(extra, min(2, len(extra)))]
                chain.insert(0, ["select", cols])
            if terminal != "getRawMany" and self.rng.random() < 0.2:
                self._relation_ids(ent, chain)
            roll = self.rng.random()
            if roll < 0.3:
                if self.rng.random() < 0.5:
                    chain.append(["skip", self.rng.randrange(0, 3)])
                chain.append(["take", self.rng.randrange(1, 4)])
            elif roll < 0.4:
                chain += [["limit", self.rng.randrange(1, 5)], ["offset", self.rng.randrange(0, 3)]]
            chain.append([terminal])
        return {"op": "qb", "entity": ent.name, "alias": "e", "chain": chain}

    def _find_options(self, ent: FuzzEntity) -> dict[str, Any]:
        """``setFindOptions`` and an entity terminal (the Repository's find as a chain)."""
        terminal = self.rng.choice(
            ["getMany", "getMany", "getManyAndCount", "getCount", "getExists", "getOne"]
        )
        opts = self.base.find_options(ent, one=terminal == "getOne")
        if terminal in ("getCount", "getExists"):
            opts = {k: v for k, v in opts.items() if k in ("where", "withDeleted", "relations")}
        chain: list[list[Any]] = []
        if self.rng.random() < 0.3:
            # the builder's own conditions first: TypeORM merges the options into them
            self._wheres([("e", ent)], chain)
            if chain:
                opts = self._mergeable(ent, opts)
        chain += [["setFindOptions", opts], [terminal]]
        return {"op": "qb", "entity": ent.name, "alias": "e", "chain": chain}

    @staticmethod
    def _mergeable(ent: FuzzEntity, opts: dict[str, Any]) -> dict[str, Any]:
        """The find options ormshift merges into a builder's own calls (docs/orm.md):
        no ``lock``, no operator on a relation in ``where`` but a relation count."""
        relations = {r.property_name.split(".")[0] for r in ent.relations}
        out = {
            k: v
            for k, v in opts.items()
            if k
            in (
                "order",
                "skip",
                "take",
                "withDeleted",
                "relations",
                "where",
                "select",
                "relationLoadStrategy",
            )
        }

        def plain(item: Any) -> bool:
            # through a relation a mapping of the related entity's columns, or a count
            return isinstance(item, dict) and all(
                isinstance(item[k], dict) and item[k].get("$op") in (None, *_COUNTING)
                for k in relations & set(item)
            )

        where = out.get("where")
        if where is not None and not (
            plain(where) or (isinstance(where, list) and all(plain(w) for w in where))
        ):
            del out["where"]
        return out

    def _relation_ids(self, ent: FuzzEntity, chain: list[list[Any]]) -> None:
        """``loadRelationIdAndMap("e.rid_<relation>", "e.<relation>")`` on one relation
        of the root (ahead of the order and pages)."""
        rels = self._own_relations(ent)
        if not rels:
            return
        rel = self.rng.choice(rels)
        call: list[Any] = ["loadRelationIdAndMap", f"e.rid_{rel.property_name}"]
        call.append(f"e.{rel.property_name}")
        if self.rng.random() < 0.3:
            call.append({"disableMixedMap": True})
        chain.append(call)

    def sequence(self, k: int) -> list[dict[str, Any]]:
        return [self.operation() for _ in range(k)]


def _given(values: dict[str, Any], path: str) -> bool:
    """Whether the (nested) ``values`` give ``path``."""
    head, _, rest = path.partition(".")
    if head not in values:
        return False
    return not rest or (isinstance(values[head], dict) and _given(values[head], rest))
