"""Round trips of data between TypeORM and the generated models, on one database that
TypeORM's ``synchronize`` made:

* rows saved through TypeORM's repositories (``bridge/roundtrip.js``) and read back
  through the generated models equal what was written;
* rows written through the generated models and read back by TypeORM equal what was
  written;
* and, for every row, TypeORM and the models read the same record (every column,
  server defaults included).

Rows are given in TypeORM's shape (embedded objects nested, relations as ``{"id": ...}``)
and compared per column after one normalisation (`normal`): decimals and bigints as
strings, timestamps as UTC instants at JavaScript's millisecond precision, dates as ISO
dates, ``timetz`` with its offset, intervals by their parts (months apart), bytea in hex,
uuids in lower case, enums by value. Node runs with ``TZ=UTC``: TypeORM reads and writes
a ``timestamp`` without time zone in the Node process's local zone, the models as a naive
datetime.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ormshift.codegen import Plan, plan, render_package
from ormshift.dsn import sqlalchemy_url
from ormshift.manifest import Column, Entity, Manifest

from ..conftest import DatabaseFactory, require_extensions
from ..golden.support import golden_manifest, imported
from .test_codegen_alembic import run_bridge, typeorm_sync

pytestmark = pytest.mark.node

Row = dict[str, Any]
Steps = list[tuple[str, list[Row]]]  # (entity, rows), written in this order
# {"$saved": [i, j]} in a row stands for the entity written as row j of step i: TypeORM
# ignores explicit values of serial primary keys, so rows refer to earlier ones this way

_TIMESTAMPS = ("timestamp with time zone", "timestamp without time zone")


# ------------------------------------------------------------------------- the rows
def _uuid(n: int, i: int) -> str:
    return f"00000000-0000-4000-8000-{n:06d}{i:06d}"


def types_rows(n: int) -> Steps:
    host: Row = {
        "hostname": f"db-{n}.example",
        "fqdn": f"db-{n}.dc1.example.org",
        "description": "primary database ✓",
        "countryCode": "DE",
        "rackUnit": 12,
        "rackSlot": -3,
        "cpuCores": 64,
        "memoryMb": 262144,
        "diskCount": 8,
        "bytesSent": "9007199254740993",  # 2**53 + 1: beyond a JavaScript number
        "bytesReceived": "123",
        "monthlyCost": "123456789012.34",
        "loadFactor": "0.125",
        "cpuTemperature": 61.5,
        "fanSpeedRatio": 0.25,
        "latencyMs": 0.1,
        "jitterMs": -1e-7,
        "isVirtual": False,
        "commissionedOn": "2019-02-28",
        "backupWindowStart": "23:30:00",
        "backupWindowStartTz": "01:15:00+05:30",
        "lastBootAt": "2024-03-31T01:59:59.999Z",
        "lastSeenAt": "2024-10-27T02:30:00.123Z",
        "uptime": "49:30:15",
        "hardwareId": _uuid(n, 1).upper(),
        "sshHostKey": {"$bytes": "00ff10ab"},
        "ipAddress": "10.1.2.3",
        "managementSubnet": "10.1.0.0/16",
        "macAddress": "08:00:2b:01:02:03",
        "hardwareInfo": {"vendor": "acme", "slots": [1, 2.5, None], "ok": True},
        "facts": {"kernel": "6.1", "numa": {"nodes": 2}, "ratio": 0.5},
        "tags": ["db", "primary", "with,comma", ""],
        "openPorts": [22, 5432],
    }
    rule: Row = {
        "title": f"disk full {n}",
        "triggerCount": 0,
        "active": True,
        "effectiveFrom": "2024-01-01T00:00:00.000+01:00",
        "threshold": "99.99",
        "minimumDelta": "-0.01",
        "hysteresis": 0.75,
        "validFrom": "2024-02-29",
        "channels": ["email", "pager"],
        "recipients": ["ops@example.org"],
        "labels": {"team": "dba", "severity": ["high", 1]},
        "escalationPolicy": None,
    }
    return [("Host", [host]), ("AlertRule", [rule])]


def shop_rows(n: int) -> Steps:
    country = f"C{n}"
    return [
        ("Country", [{"code": country, "name": "Land", "currencyCode": "EUR", "vatRate": "19"}]),
        ("Warehouse", [{"code": f"WH{n}", "name": "Main", "country": {"code": country}}]),
        (
            "Customer",
            [
                {
                    "id": _uuid(n, 1),
                    "email": f"c{n}@example.org",
                    "fullName": "Zoë Ünal",
                    "preferences": {"newsletter": True, "limit": 2.5, "tags": ["a", "b"]},
                    "phoneNumbers": ["+49 30 1234", "+1 555 0100"],
                    "country": {"code": country},
                },
                {
                    "id": _uuid(n, 2),
                    "email": f"d{n}@example.org",
                    "fullName": "No Phone",
                    "preferences": None,
                    "phoneNumbers": [],
                    "country": {"code": country},
                },
            ],
        ),
        (
            "Product",
            [
                {
                    "id": _uuid(n, 3),
                    "sku": f"SKU-{n}",
                    "name": "Kettle",
                    "brand": "Acme",
                    "modelNumber": f"K{n}",
                    "price": "1234567890.50",
                    "shippingMethods": ["express", "pickup"],
                    "dimensions": {"widthCm": 20, "heightCm": 25.5, "depthCm": 1e-3, "weightKg": 1},
                    "searchKeywords": ["kettle", "kitchen"],
                }
            ],
        ),
        (
            "Order",
            [
                {
                    "id": _uuid(n, 4),
                    "orderNumber": f"ORD-{n}",
                    "status": "shipped",
                    "totalAmount": "0.01",
                    "currency": "EUR",
                    "warehouseCode": f"WH{n}",
                    "customer": {"id": _uuid(n, 1)},
                }
            ],
        ),
        (
            "OrderStatusChange",
            [
                {
                    "id": _uuid(n, 5),
                    "fromStatus": None,
                    "toStatus": "paid",
                    "note": "first",
                    "order": {"id": _uuid(n, 4)},
                }
            ],
        ),
        (
            "Promotion",
            [
                {
                    "id": _uuid(n, 6),
                    "code": f"SPRING{n}",
                    "percentOff": "12.50",
                    "validFrom": "2024-03-20T23:00:00.000-05:00",
                    "validUntil": "2024-06-20T12:00:00.000+14:00",
                }
            ],
        ),
    ]


def blog_rows(n: int) -> Steps:
    user, post = {"$saved": [0, 0]}, {"$saved": [2, 0]}
    return [
        (
            "User",
            [
                {
                    "email": f"u{n}@example.org",
                    "username": f"u{n}",
                    "displayName": "Ada",
                    "role": "editor",
                    "lastLoginAt": "2024-03-10T01:59:59.500-08:00",
                }
            ],
        ),
        (
            "Profile",
            [
                {
                    "bio": "hi",
                    "user": user,
                    "home": {
                        "street": "Main St 1",
                        "city": "Berlin",
                        "postalCode": "10115",
                        "countryCode": "DE",
                        "geo": {"latitude": 52.52, "longitude": 13.405},
                    },
                    "work": {"street": None, "city": "Paris", "geo": {"latitude": -0.5}},
                }
            ],
        ),
        (
            "Post",
            [
                {
                    "title": "Hello",
                    "slug": f"hello-{n}",
                    "body": "Body",
                    "status": "in_review",
                    "publishedAt": None,
                    "viewCount": 7,
                    "author": user,
                    "seo": {"metaTitle": "T", "metaDescription": None, "noIndex": True},
                }
            ],
        ),
        (
            "Comment",
            [
                {
                    "body": "first!",
                    "isApproved": True,
                    "post": post,
                    "author": user,
                    "parent": None,
                }
            ],
        ),
    ]


def cms_rows(n: int) -> Steps:
    image = _uuid(n, 1)
    return [
        ("Category", [{"name": "News", "slug": f"news-{n}", "parent": None}]),
        (
            "ImageAsset",
            [
                {
                    "id": image,
                    "fileName": "a.png",
                    "mimeType": "image/png",
                    "sizeBytes": "5000000000",
                    "storageKey": f"k/{n}/a",
                    "width": 640,
                    "height": 480,
                    "altText": "alt",
                }
            ],
        ),
        (
            "DocumentAsset",
            [
                {
                    "id": _uuid(n, 2),
                    "fileName": "b.pdf",
                    "mimeType": "application/pdf",
                    "sizeBytes": "12",
                    "storageKey": f"k/{n}/b",
                    "pageCount": 3,
                    "language": "en",
                }
            ],
        ),
        (
            "Article",
            [
                {
                    "title": "A",
                    "slug": f"a-{n}",
                    "isPublished": True,
                    "body": "text",
                    "wordCount": 1,
                    "category": {"$saved": [0, 0]},
                    "heroImage": {"id": image},
                }
            ],
        ),
        (
            "Video",
            [
                {
                    "title": "V",
                    "slug": f"v-{n}",
                    "streamUrl": "https://example.org/v.m3u8",
                    "durationSeconds": 90,
                    "hasCaptions": True,
                }
            ],
        ),
    ]


ROWS = {"types": types_rows, "shop": shop_rows, "blog": blog_rows, "cms": cms_rows}


# --------------------------------------------------------------- mapping and values
@dataclass(frozen=True)
class Corpus:
    manifest: Manifest
    plan: Plan
    package: ModuleType

    def entity(self, name: str) -> Entity:
        return self.manifest.entity(name)

    def column(self, entity: str, column: str) -> Column:
        e = self.entity(entity)
        return self.manifest.table(e.table, e.schema).column(column)

    def model(self, entity: str) -> type[Any]:
        return getattr(self.package, self.plan.model(entity).class_name)  # type: ignore[no-any-return]

    def attribute(self, entity: str, column: str) -> str:
        return self.plan.model(entity).columns[column]

    def enum_class(self, enum_name: str) -> Any:
        for e in self.plan.enums:
            if e.type.name == enum_name:
                return getattr(self.package, e.class_name)
        raise KeyError(enum_name)


def flatten(corpus: Corpus, entity: str, row: Row) -> Row:
    """A row in TypeORM's shape -> {column name: value}, for the columns it sets."""
    out: Row = {}
    for prop in corpus.entity(entity).columns:
        value: Any = row
        for part in prop.property_path.split("."):
            if not isinstance(value, dict) or part not in value:
                break
            value = value[part]
        else:
            out[prop.column] = value
    return out


def _instant(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    assert isinstance(value, datetime.datetime), value
    if value.tzinfo is None:  # timestamp without time zone: Node runs in UTC
        value = value.replace(tzinfo=datetime.UTC)
    value = value.astimezone(datetime.UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000).isoformat(
        timespec="milliseconds"
    )


_INTERVAL_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds", "milliseconds")


def _interval(value: Any) -> dict[str, float]:
    """An interval's parts as node-postgres has them (the models' ``Interval``, TypeORM's
    ``{$interval}``, or the "HH:MM:SS" written); months stay months."""
    if isinstance(value, str):  # "HH:MM:SS" as written
        h, m, s = value.split(":")
        whole, _, frac = s.partition(".")
        parts: Any = {"hours": int(h), "minutes": int(m), "seconds": int(whole)}
        parts["milliseconds"] = int(frac.ljust(6, "0")) / 1000 if frac else 0
    elif isinstance(value, dict):
        parts = value["$interval"]
    else:
        parts = {f: getattr(value, f) for f in _INTERVAL_FIELDS}
    return {f: parts.get(f, 0) for f in _INTERVAL_FIELDS}


def _scalar(col: Column, value: Any) -> Any:
    t = col.type
    if t == "numeric":
        return format(decimal.Decimal(str(value)).normalize(), "f")
    if t == "bigint":
        return str(int(value))
    if t in _TIMESTAMPS:
        return _instant(value)
    if t == "date":
        return value if isinstance(value, str) else value.isoformat()
    if t.startswith("time "):
        return (datetime.time.fromisoformat(value) if isinstance(value, str) else value).isoformat()
    if t == "interval":
        return _interval(value)
    if t == "uuid":
        return str(uuid.UUID(str(value)))
    if t == "bytea":
        return value["$bytes"] if isinstance(value, dict) else bytes(value).hex()
    if t in ("real", "double precision"):
        return float(value)
    if t in ("enum", "inet", "cidr", "character", "character varying", "macaddr"):
        return str(value)
    return value


def normal(col: Column, value: Any) -> Any:
    """One column's value, as both sides are compared."""
    if value is None:
        return None
    if col.array:
        return [_scalar(col, v) for v in value]
    return _scalar(col, value)


def _to_python_scalar(corpus: Corpus, col: Column, value: Any) -> Any:
    t = col.type
    if t == "enum":
        return corpus.enum_class(str(col.enum_name))(value)
    if t == "numeric":
        return decimal.Decimal(value)
    if t == "bigint":
        return int(value)
    if t == "timestamp with time zone":
        return datetime.datetime.fromisoformat(value)
    if t == "timestamp without time zone":
        moment = datetime.datetime.fromisoformat(value)
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)
    if t == "date":
        return datetime.date.fromisoformat(value)
    if t.startswith("time "):
        return datetime.time.fromisoformat(value)
    if t == "interval":  # a mapping of the parts: the models write it as it is
        return _interval(value)
    if t == "uuid":
        return uuid.UUID(value)
    if t == "bytea":
        return bytes.fromhex(value["$bytes"])
    if t == "inet":
        return ipaddress.ip_interface(value) if "/" in value else ipaddress.ip_address(value)
    if t == "cidr":
        return ipaddress.ip_network(value)
    return value


def to_python(corpus: Corpus, col: Column, value: Any) -> Any:
    if value is None:
        return None
    if col.array:
        return [_to_python_scalar(corpus, col, v) for v in value]
    return _to_python_scalar(corpus, col, value)


def expected(corpus: Corpus, entity: str, row: Row) -> Row:
    flat = flatten(corpus, entity, row)
    return {c: normal(corpus.column(entity, c), v) for c, v in flat.items()}


def typeorm_record(corpus: Corpus, entity: str, record: Row) -> Row:
    assert record["$entity"] == entity
    return {
        p.column: normal(corpus.column(entity, p.column), record[p.column])
        for p in corpus.entity(entity).columns
    }


def model_record(corpus: Corpus, entity: str, obj: Any) -> Row:
    assert type(obj).__name__ == corpus.plan.model(entity).class_name
    return {
        p.column: normal(
            corpus.column(entity, p.column), getattr(obj, corpus.attribute(entity, p.column))
        )
        for p in corpus.entity(entity).columns
    }


def pk_column(corpus: Corpus, entity: str) -> str:
    """The primary key column (every entity these rows use has a one-column key)."""
    e = corpus.entity(entity)
    pk = corpus.manifest.table(e.table, e.schema).primary_key
    assert pk is not None and len(pk.columns) == 1, entity
    return pk.columns[0]


def resolve(corpus: Corpus, row: Row, steps: Steps, keys: list[list[Any]]) -> Row:
    """``row`` with each ``{"$saved": [i, j]}`` replaced by ``{<primary key>: key}``."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if "$saved" in value:
                i, j = value["$saved"]
                entity = steps[i][0]
                pk = pk_column(corpus, entity)
                prop = next(p for p in corpus.entity(entity).columns if p.column == pk)
                return {prop.property_path: keys[i][j]}
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(row)  # type: ignore[no-any-return]


def model_for_read(corpus: Corpus, entity: str) -> type[Any]:
    """Read STI children through their root, so the models must pick the class."""
    inheritance = corpus.entity(entity).inheritance
    if inheritance is not None and inheritance.parent is not None:
        return corpus.model(inheritance.parent)
    return corpus.model(entity)


# --------------------------------------------------------------------------- the test
def roundtrip(name: str, url: str, tmp_path: Path, request: dict[str, Any]) -> Any:
    path = tmp_path / f"request-{len(list(tmp_path.glob('request-*')))}.json"
    path.write_text(json.dumps(request), "utf-8")
    return json.loads(run_bridge(name, "roundtrip.js", url, "--input", str(path)))


def read_with_models(corpus: Corpus, session: Session, entity: str, key: Any) -> Row:
    pk = pk_column(corpus, entity)
    obj = session.get(
        model_for_read(corpus, entity), to_python(corpus, corpus.column(entity, pk), key)
    )
    assert obj is not None, (entity, key)
    return model_record(corpus, entity, obj)


def write_with_models(corpus: Corpus, session: Session, entity: str, row: Row) -> Any:
    """Writes ``row`` through the model of ``entity``; returns its primary key as stored."""
    kwargs = {
        corpus.attribute(entity, c): to_python(corpus, corpus.column(entity, c), v)
        for c, v in flatten(corpus, entity, row).items()
    }
    obj = corpus.model(entity)(**kwargs)
    session.add(obj)
    session.flush()
    pk = pk_column(corpus, entity)
    return normal(corpus.column(entity, pk), getattr(obj, corpus.attribute(entity, pk)))


@pytest.mark.parametrize("name", sorted(ROWS))
def test_rows_round_trip(
    name: str, make_db: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    manifest = golden_manifest(name)
    url = make_db("roundtrip")
    require_extensions(url, manifest.extensions)
    typeorm_sync(name, url)
    by_typeorm, by_models = ROWS[name](1), ROWS[name](2)

    # 1. TypeORM writes
    request = {"save": [{"entity": e, "rows": r} for e, r in by_typeorm]}
    saved = roundtrip(name, url, tmp_path, request)["saved"]
    engine = create_engine(sqlalchemy_url(url))
    try:
        with imported(render_package(manifest), tmp_path) as pkg:
            corpus = Corpus(manifest, plan(manifest), pkg)
            keys_a = [
                [
                    normal(corpus.column(e, pk_column(corpus, e)), rec[pk_column(corpus, e)])
                    for rec in recs
                ]
                for (e, _), recs in zip(by_typeorm, saved, strict=True)
            ]
            # 2. the models read what TypeORM wrote
            with Session(engine) as session:
                read_a = [
                    [read_with_models(corpus, session, e, k) for k in keys]
                    for (e, _), keys in zip(by_typeorm, keys_a, strict=True)
                ]
            for (entity, rows), records in zip(by_typeorm, read_a, strict=True):
                for row, got in zip(rows, records, strict=True):
                    want = expected(corpus, entity, resolve(corpus, row, by_typeorm, keys_a))
                    assert {c: got[c] for c in want} == want, entity
            # 3. the models write; read back in a new session
            keys_b: list[list[Any]] = []
            with Session(engine) as session:
                for entity, rows in by_models:
                    keys_b.append([])
                    for row in rows:
                        resolved = resolve(corpus, row, by_models, keys_b)
                        keys_b[-1].append(write_with_models(corpus, session, entity, resolved))
                session.commit()
            with Session(engine) as session:
                read_b = [
                    [read_with_models(corpus, session, e, k) for k in keys]
                    for (e, _), keys in zip(by_models, keys_b, strict=True)
                ]
    finally:
        engine.dispose()

    # 4. TypeORM reads both
    reads = []
    for (entity, _), a, b in zip(by_typeorm, read_a, read_b, strict=True):
        pk = pk_column(corpus, entity)
        prop = next(p.property_path for p in corpus.entity(entity).columns if p.column == pk)
        reads.append({"entity": entity, "where": {prop: {"$in": [r[pk] for r in a + b]}}})
    result = roundtrip(name, url, tmp_path, {"read": reads})["read"]
    for (entity, rows_b), a, b, records in zip(by_models, read_a, read_b, result, strict=True):
        pk = pk_column(corpus, entity)
        by_typeorm_read = {r[pk]: r for r in (typeorm_record(corpus, entity, x) for x in records)}
        # TypeORM and the models read the same records, every column
        assert by_typeorm_read == {r[pk]: r for r in a + b}, entity
        # what the models wrote is what TypeORM reads
        for row, got in zip(rows_b, b, strict=True):
            want = expected(corpus, entity, resolve(corpus, row, by_models, keys_b))
            assert {c: by_typeorm_read[got[pk]][c] for c in want} == want, entity
