"""Random operation sequences over the whole entity graph, in scenario-file shape.

Reads: find / findAndCount / count / exists / findOne with random ``where`` (operators,
nested relations, embedded paths, OR lists, relation counts), ``order``, ``relations``,
``select``, ``skip``/``take``, ``withDeleted``, ``relationLoadStrategy``. Writes: save
(new, existing, with nested relations), insert, update, upsert, delete, softDelete /
restore, softRemove / recover, increment / decrement, remove, and transactions that
commit, fail midway, or nest. Values come from the seed rows (so conditions match) or
are new. Everything is drawn from one ``random.Random``: the same seed gives the same
operations (choices added later from streams of their own seeded from it).
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import json
import random
import uuid
from collections.abc import Callable
from typing import Any

from psycopg.types.range import Range

from ormshift.compare.fuzz.schema import FuzzEntity, FuzzSchema, Prop
from ormshift.compare.fuzz.values import make_value
from ormshift.compare.normalize import pg_range
from ormshift.manifest.model import Relation

__all__ = ["Generator", "unique_paths"]

_ORDERABLE = frozenset(
    {"int", "bigint", "numeric", "float", "str", "char", "date", "timestamp", "timestamptz", "enum"}
)
_NUMERIC = frozenset({"int", "numeric", "float", "bigint"})
#: kinds no condition is made on: json has no equality, point none either, and TypeORM
#: binds a {x, y, radius} object in a condition as JSON (PostgreSQL refuses it)
_NO_EQUALITY = frozenset({"json", "simple-json", "simple-array", "point", "circle"})


def to_arg(prop: Prop, value: Any) -> Any:
    """A value read back from PostgreSQL as the JSON argument TypeORM takes."""
    if value is None:
        return None
    if prop.kind == "simple-json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    if prop.kind == "simple-array" and isinstance(value, str):
        return value.split(",") if value else []
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.isoformat(timespec="milliseconds")
        text = value.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv4Network):
        return str(value)
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, datetime.timedelta):
        return None
    if isinstance(value, Range):
        return pg_range(value)
    if prop.enum_numbers and value in prop.enum_numbers:
        return int(value)
    if prop.kind == "bigint" and isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return [to_arg(prop, v) for v in value]
    return value


def nest(path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: nest(rest, value) if rest else value}


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


#: TypeORM's TreeRepository calls the fuzzer makes on a tree entity
TREE_CALLS = (
    "findTrees",
    "findRoots",
    "findDescendants",
    "findDescendantsTree",
    "findAncestors",
    "findAncestorsTree",
    "countDescendants",
    "countAncestors",
    "createDescendantsQueryBuilder",
    "createAncestorsQueryBuilder",
)


class Generator:
    def __init__(
        self, schema: FuzzSchema, rows: dict[str, list[dict[str, Any]]], rng: random.Random
    ) -> None:
        self.schema = schema
        self.rows = rows
        self.rng = rng
        # choices added later draw from a stream of their own, seeded from the main one
        # without drawing from it: a seed keeps making the sequences it made before
        self.orders = random.Random(repr(rng.getstate()))
        self.counts = random.Random("counts" + repr(rng.getstate()))
        self.n = 100_000
        self.names = sorted(schema.entities)

    # -- helpers --------------------------------------------------------------------

    def _entity(self) -> FuzzEntity:
        return self.schema.entities[self.rng.choice(self.names)]

    def _row(self, ent: FuzzEntity) -> dict[str, Any] | None:
        rows = self.rows.get(ent.table.name) or []
        if ent.discriminator:
            col, value = ent.discriminator
            family = [r for r in rows if r.get(col) == value]
            rows = family if family and self.rng.random() < 0.8 else rows
        return self.rng.choice(rows) if rows else None

    def _existing(self, ent: FuzzEntity, prop: Prop) -> Any:
        row = self._row(ent)
        return to_arg(prop, row.get(prop.column.name)) if row else None

    def _fresh(self, prop: Prop) -> Any:
        self.n += 1
        return make_value(
            prop.kind, prop.column, self.rng, self.n, prop.enum_values, prop.enum_numbers
        ).arg

    def _value(self, ent: FuzzEntity, prop: Prop) -> Any:
        if self.rng.random() < 0.7:
            found = self._existing(ent, prop)
            if found is not None:
                return found
        return self._fresh(prop)

    def _pk(self, ent: FuzzEntity) -> dict[str, Any] | None:
        row = self._row(ent)
        if row is None or not ent.primary:
            return None
        out: dict[str, Any] = {}
        for p in ent.primary:
            out = merge(out, nest(p.path, to_arg(p, row.get(p.column.name))))
        return out

    def _scalar_props(self, ent: FuzzEntity) -> list[Prop]:
        return [p for p in ent.plain if not p.kind.endswith("[]") and p.kind not in _NO_EQUALITY]

    # -- where ----------------------------------------------------------------------

    def _condition(self, ent: FuzzEntity, prop: Prop) -> Any:
        r = self.rng.random()
        if prop.volatile and prop not in ent.primary:
            # each side makes its own value for a row the sequence inserts: only whether
            # there is one is the same on both
            null = {"$op": "IsNull"}
            return {"$op": "Not", "value": null} if r < 0.5 else null
        value = self._value(ent, prop)
        if prop.kind.endswith("[]"):
            items = value if isinstance(value, list) and value else [self._fresh(prop)]
            op = self.rng.choice(["ArrayContains", "ArrayContainedBy", "ArrayOverlap"])
            return {"$op": op, "value": items[:1] if op != "ArrayContainedBy" else items}
        if prop.kind == "jsonb" and isinstance(value, dict):
            return {"$op": "JsonContains", "value": {"k": value.get("k")}}
        if value is None or (prop.column.nullable and r < 0.1):
            null = {"$op": "IsNull"}
            return {"$op": "Not", "value": null} if self.rng.random() < 0.5 else null
        if prop.kind in _ORDERABLE and r < 0.45:
            op = self.rng.choice(["MoreThan", "LessThan", "MoreThanOrEqual", "LessThanOrEqual"])
            if self.rng.random() < 0.25:
                other = self._value(ent, prop)
                if other is not None:
                    return {"$op": "Between", "value": sorted([value, other], key=str)}
            return {"$op": op, "value": value}
        if prop.kind in ("str",) and r < 0.6 and isinstance(value, str):
            op = self.rng.choice(["Like", "ILike"])
            return {
                "$op": op,
                "value": value[:3].upper() + "%" if op == "ILike" else value[:3] + "%",
            }
        if r < 0.7:
            other = self._value(ent, prop)
            op = self.rng.choice(["In", "In", "Any"])
            return {"$op": op, "value": [v for v in (value, other) if v is not None]}
        if r < 0.8:
            return {"$op": "Not", "value": value}
        if r < 0.85:
            return {"$op": "Equal", "value": value}
        return value

    def _where_one(self, ent: FuzzEntity, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        props = [p for p in ent.plain if p.kind not in _NO_EQUALITY]
        for _ in range(self.rng.randrange(1, 3)):
            if ent.relations and depth < 2 and self.rng.random() < 0.25:
                rel = self.rng.choice(ent.relations)
                target = self.schema.target(rel)
                if target is not None and target.plain:
                    out[rel.property_name] = self._where_one(target, depth + 1)
                    continue
            if props:
                prop = self.rng.choice(props)
                out = merge(out, nest(prop.path, self._condition(ent, prop)))
        return out

    def where(self, ent: FuzzEntity) -> Any:
        if self.rng.random() < 0.2:
            return self._with_count(ent, [self._where_one(ent, 0) for _ in range(2)])
        return self._with_count(ent, self._where_one(ent, 0))

    def _with_count(self, ent: FuzzEntity, where: Any) -> Any:
        """Sometimes a relation count (``{books: MoreThan(1)}``) on a to-many relation
        in the where's first mapping (its own stream: the rest is drawn as before)."""
        many = [
            r
            for r in ent.relations
            if r.kind in ("one-to-many", "many-to-many") and self.schema.target(r) is not None
        ]
        if not many or self.counts.random() >= 0.12:
            return where
        rel = self.counts.choice(many)
        kind = self.counts.choice(["MoreThan", "LessThan", "MoreThanOrEqual", "LessThanOrEqual"])
        first = where[0] if isinstance(where, list) else where
        first[rel.property_name] = {"$op": kind, "value": self.counts.randrange(0, 3)}
        return where

    # -- find options ---------------------------------------------------------------

    def _order(self, ent: FuzzEntity) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # not by a value each side makes on its own (its order among inserted rows differs)
        props = [p for p in self._scalar_props(ent) if not p.volatile]
        for prop in self.rng.sample(props, k=min(2, len(props))):
            if self.rng.random() < 0.5:
                direction: Any = self.rng.choice(["ASC", "DESC"])
                if prop.column.nullable and self.rng.random() < 0.3:
                    direction = {
                        "direction": direction,
                        "nulls": self.rng.choice(["FIRST", "LAST"]),
                    }
                out = merge(out, nest(prop.path, direction))
        many = [
            r
            for r in ent.relations
            if r.kind in ("one-to-many", "many-to-many")
            and not (r.eager or r.lazy or r.tree_role)
            and _keyed(self.schema.target(r))
        ]
        if many and self.orders.random() < 0.3:
            rel = self.orders.choice(many)
            out[rel.property_name] = self._collection_order(rel)
        for p in ent.primary:
            out = merge(out, nest(p.path, "ASC"))
        return out

    def _collection_order(self, rel: Relation) -> dict[str, Any]:
        """An order through a to-many relation: a column of its target, then the target's
        key (TypeORM orders the repeated rows, so the loaded collection's order is
        decided too)."""
        target = self.schema.target(rel)
        assert target is not None
        out: dict[str, Any] = {}
        props = [p for p in self._scalar_props(target) if not p.volatile and "." not in p.path]
        if props and self.orders.random() < 0.7:
            out[self.orders.choice(props).path] = self.orders.choice(["ASC", "DESC"])
        for p in target.primary:
            out.setdefault(p.path, self.orders.choice(["ASC", "DESC"]))
        return out

    def _relations(self, ent: FuzzEntity, depth: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for rel in ent.relations:
            if self.rng.random() < 0.3:
                target = self.schema.target(rel)
                sub = self._relations(target, depth + 1) if target and depth < 1 else {}
                out[rel.property_name] = sub if sub and self.rng.random() < 0.5 else True
        return out

    def _select(self, ent: FuzzEntity) -> dict[str, Any]:
        out: dict[str, Any] = {}
        picked = list(ent.primary) if self.rng.random() < 0.8 else []
        picked += self.rng.sample(list(ent.plain), k=min(2, len(ent.plain)))
        for p in picked:
            out = merge(out, nest(p.path, True))
        return out

    def find_options(self, ent: FuzzEntity, *, one: bool = False) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        if self.rng.random() < 0.7:
            opts["where"] = self.where(ent)
        if one or self.rng.random() < 0.5:
            opts["order"] = self._order(ent)
        if self.rng.random() < 0.35:
            rels = self._relations(ent)
            if rels:
                opts["relations"] = rels
        if self.rng.random() < 0.15:
            opts["select"] = self._select(ent)
        if "order" in opts and self.rng.random() < 0.4:
            if self.rng.random() < 0.5:
                opts["skip"] = self.rng.randrange(0, 3)
            opts["take"] = self.rng.randrange(1, 4)
        if ent.role("delete-date") and self.rng.random() < 0.3:
            opts["withDeleted"] = True
        if "relations" in opts and self.counts.random() < 0.2:
            opts["relationLoadStrategy"] = "query"
        return opts

    def tree(self, ent: FuzzEntity) -> dict[str, Any]:
        """A TreeRepository call (``{op: tree, args: [call, ...]}``) on a tree entity."""
        call = self.rng.choice(TREE_CALLS)
        relations = [r.property_name for r in ent.relations if self.rng.random() < 0.3]
        options: dict[str, Any] = {"relations": relations} if relations else {}
        if call in ("findTrees", "findDescendantsTree") and self.rng.random() < 0.5:
            options["depth"] = self.rng.choice([0, 1, 2])
        if call in ("findTrees", "findRoots"):
            return {"op": "tree", "entity": ent.name, "args": [call, options]}
        target = self._pk(ent) or {}
        if call.startswith("count"):
            return {"op": "tree", "entity": ent.name, "args": [call, target]}
        if call.startswith("create"):
            return {"op": "tree", "entity": ent.name, "args": [call, "node", "closure", target]}
        return {"op": "tree", "entity": ent.name, "args": [call, target, options]}

    def read(self, ent: FuzzEntity) -> dict[str, Any]:
        tree = ent.entity.tree
        if tree is not None and tree.kind != "adjacency-list" and self.rng.random() < 0.3:
            return self.tree(ent)
        op = self.rng.choice(["find", "find", "findAndCount", "count", "exists", "findOne"])
        if op == "findOne":
            opts = self.find_options(ent, one=True)
            opts.setdefault("where", self._pk(ent) or {})
            return {"op": op, "entity": ent.name, "args": [opts]}
        opts = self.find_options(ent)
        if op in ("count", "exists"):
            opts = {k: v for k, v in opts.items() if k in ("where", "withDeleted", "relations")}
        return {"op": op, "entity": ent.name, "args": [opts]}

    # -- writes ---------------------------------------------------------------------

    def values(self, ent: FuzzEntity, *, nested: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop in ent.plain:
            if prop.role in ("create-date", "update-date", "delete-date", "version"):
                continue
            if prop.generated and prop.kind != "uuid":
                continue
            if (
                (prop.column.nullable or prop.column.default is not None)
                and self.rng.random() < 0.35
                # a generated uuid is always given: the database's would differ between
                # the two sides (rows in another key order, foreign keys to them apart)
                and not prop.generated
            ):
                continue
            self.n += 1
            out = merge(out, nest(prop.path, self._fresh(prop)))
        for rel in ent.relations:
            target = self.schema.target(rel)
            if target is None:
                continue
            if rel.owning and rel.kind in ("many-to-one", "one-to-one"):
                if rel.nullable and self.rng.random() < 0.3:
                    continue
                pk = self._pk(target)
                if pk is not None:
                    out[rel.property_name] = pk
            elif nested and rel.kind == "many-to-many" and self.rng.random() < 0.3:
                out[rel.property_name] = [p for p in (self._pk(target), self._pk(target)) if p]
            elif nested and rel.kind == "one-to-many" and self.rng.random() < 0.2:
                out[rel.property_name] = [self.values(target, nested=False)]
        return out

    def _partial(self, ent: FuzzEntity) -> dict[str, Any]:
        out: dict[str, Any] = {}
        props = [p for p in ent.plain if not p.generated and p.role is None]
        for prop in self.rng.sample(props, k=min(len(props), self.rng.randrange(1, 3))):
            out = merge(out, nest(prop.path, self._fresh(prop)))
        return out

    def _criteria(self, ent: FuzzEntity) -> Any:
        r = self.rng.random()
        pk = self._pk(ent)
        single = len(ent.primary) == 1
        if pk is not None and single and r < 0.4:
            return next(iter(_leaves(pk)))
        if pk is not None and single and r < 0.55:
            other = self._pk(ent) or pk
            return sorted(
                {str(next(iter(_leaves(x)))): next(iter(_leaves(x))) for x in (pk, other)}.values(),
                key=str,
            )
        if pk is not None and r < 0.75:
            return pk
        return self._where_one(ent, 1)

    def write(self, ent: FuzzEntity) -> dict[str, Any]:
        soft = ent.role("delete-date") is not None
        choices: list[tuple[str, Callable[[], list[Any]]]] = [
            ("insert", lambda: [self.values(ent, nested=False)]),
            ("save", lambda: [self.values(ent)]),
            ("save", lambda: [merge(self._pk(ent) or {}, self._partial(ent))]),
            ("update", lambda: [self._criteria(ent), self._partial(ent)]),
            ("delete", lambda: [self._criteria(ent)]),
            ("remove", lambda: [self._pk(ent) or {}]),
        ]
        numeric = [
            p for p in ent.plain if p.kind in _NUMERIC and not p.generated and p.role is None
        ]
        if numeric:
            prop = self.rng.choice(numeric)
            amount = self.rng.randrange(1, 5)
            choices.append(("increment", lambda: [self._criteria(ent), prop.path, amount]))
            choices.append(("decrement", lambda: [self._criteria(ent), prop.path, amount]))
        uniques = unique_paths(ent)
        if uniques:
            paths = self.rng.choice(uniques)
            choices.append(("upsert", lambda: [self._upsert_values(ent, paths), paths]))
        if soft:
            choices += [
                ("softDelete", lambda: [self._criteria(ent)]),
                ("restore", lambda: [self._criteria(ent)]),
                ("softRemove", lambda: [self._pk(ent) or {}]),
                ("recover", lambda: [self._pk(ent) or {}]),
            ]
        op, args = self.rng.choice(choices)
        return {"op": op, "entity": ent.name, "args": args()}

    def _upsert_values(self, ent: FuzzEntity, paths: list[str]) -> dict[str, Any]:
        values = self.values(ent, nested=False)
        if self.rng.random() < 0.6:
            row = self._row(ent)
            if row is not None:
                for prop in ent.props:
                    if prop.path in paths:
                        values = merge(
                            values, nest(prop.path, to_arg(prop, row.get(prop.column.name)))
                        )
        return values

    def transaction(self, depth: int = 0) -> dict[str, Any]:
        steps: list[dict[str, Any]] = []
        for _ in range(self.rng.randrange(1, 4)):
            ent = self._entity()
            r = self.rng.random()
            if depth == 0 and r < 0.15:
                nested = self.transaction(depth + 1)
                if self.rng.random() < 0.5:
                    nested["catch"] = True
                steps.append(nested)
            elif r < 0.3:
                steps.append(self.read(ent))
            else:
                step = self.write(ent)
                if self.rng.random() < 0.1:
                    step["catch"] = True
                steps.append(step)
        if self.rng.random() < 0.3:
            steps.insert(self.rng.randrange(0, len(steps) + 1), {"op": "throw"})
        return {"op": "transaction", "args": [steps]}

    def operation(self) -> dict[str, Any]:
        ent = self._entity()
        r = self.rng.random()
        if r < 0.5:
            return self.read(ent)
        if r < 0.9:
            return self.write(ent)
        return self.transaction()

    def sequence(self, k: int) -> list[dict[str, Any]]:
        return [self.operation() for _ in range(k)]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    return [value]


def unique_paths(ent: FuzzEntity) -> list[list[str]]:
    by_column = {p.column.name: p.path for p in ent.props}
    out: list[list[str]] = []
    sets = [ent.table.primary_key.columns] if ent.table.primary_key else []
    sets += [u.columns for u in ent.table.uniques]
    sets += [i.columns for i in ent.table.indices if i.unique and i.where is None]
    for cols in sets:
        if all(c in by_column for c in cols):
            out.append([by_column[c] for c in cols])
    return out


def _keyed(ent: FuzzEntity | None) -> bool:
    """An entity whose primary key is columns of its own (it can order its rows)."""
    return ent is not None and bool(ent.primary) and all("." not in p.path for p in ent.primary)
