"""Deterministic, realistic data for the bookstore example (about 100k rows).

The same seed gives the same rows, byte for byte, so demo runs and their reports can be
compared. Rows go in with COPY; the identifiers are the example's own table and column
names, quoted by psycopg.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg import sql

FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ivo",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tala",
)
LAST = (
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Horvat",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
)
WORDS = (
    "river",
    "glass",
    "winter",
    "garden",
    "silent",
    "harbour",
    "paper",
    "crown",
    "ember",
    "north",
    "orchard",
    "lantern",
    "salt",
    "iron",
    "velvet",
    "echo",
    "meadow",
    "signal",
    "tide",
    "atlas",
    "copper",
    "falcon",
    "hollow",
    "marble",
)
CITIES = (
    ("Oslo", "NO"),
    ("Lyon", "FR"),
    ("Porto", "PT"),
    ("Graz", "AT"),
    ("Gdansk", "PL"),
    ("Leeds", "GB"),
    ("Turku", "FI"),
    ("Bilbao", "ES"),
    ("Ghent", "BE"),
    ("Bonn", "DE"),
)
GENRES = {
    "Fiction": ("Crime", "Fantasy", "Literary", "Science fiction"),
    "Non-fiction": ("History", "Science", "Travel", "Biography"),
    "Children": ("Picture books", "Young adult"),
    "Technology": ("Programming", "Databases", "Networks"),
}
FORMATS = ("hardcover", "paperback", "ebook", "audiobook")
STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "returned")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

#: rows per table at scale 1.0 (about 100k in all)
SIZES = {"publisher": 150, "author": 3000, "book": 12000, "customer": 8000, "orders": 12000,
         "review": 6000, "inventory_movement": 5000}  # fmt: skip


@dataclass(frozen=True)
class SeedResult:
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _copy(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> int:
    stmt = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    count = 0
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _title(rng: random.Random) -> str:
    n = rng.randint(2, 4)
    return " ".join(rng.choice(WORDS) for _ in range(n)).title()


def _isbn(n: int) -> str:
    body = f"978{n:09d}"
    check = (10 - sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def _when(rng: random.Random, days: int = 700) -> datetime:
    return EPOCH + timedelta(seconds=rng.randint(0, days * 86400))


def seed_bookstore(conn: psycopg.Connection, scale: float = 1.0, seed: int = 2026) -> SeedResult:
    """Fill an empty bookstore schema; returns the rows written per table."""
    rng = random.Random(seed)
    n = {k: max(int(v * scale), 5) for k, v in SIZES.items()}
    out: dict[str, int] = {}
    with conn.transaction():
        out["publisher"] = _copy(
            conn,
            "publisher",
            ("id", "name", "website", "country"),
            (
                (
                    i,
                    f"{rng.choice(LAST)} & {rng.choice(WORDS).title()} Press {i}",
                    f"https://press{i}.example" if i % 3 else None,
                    rng.choice(CITIES)[1],
                )
                for i in range(1, n["publisher"] + 1)
            ),
        )
        out["author"] = _copy(
            conn,
            "author",
            ("id", "firstName", "lastName", "biography", "birthYear", "createdAt"),
            (
                (
                    i,
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    f"Writes about {rng.choice(WORDS)} and {rng.choice(WORDS)}." if i % 4 else None,
                    rng.randint(1930, 2000) if i % 5 else None,
                    _when(rng),
                )
                for i in range(1, n["author"] + 1)
            ),
        )
        categories: list[tuple[int, str, str, int | None]] = []
        closure: list[tuple[int, int]] = []
        for top, subs in GENRES.items():
            top_id = len(categories) + 1
            categories.append((top_id, top, top.lower().replace(" ", "-"), None))
            closure.append((top_id, top_id))
            for sub in subs:
                sub_id = len(categories) + 1
                categories.append((sub_id, sub, f"{top}-{sub}".lower().replace(" ", "-"), top_id))
                closure += [(sub_id, sub_id), (top_id, sub_id)]
        out["category"] = _copy(conn, "category", ("id", "name", "slug", "parentId"), categories)
        out["category_closure"] = _copy(
            conn, "category_closure", ("id_ancestor", "id_descendant"), closure
        )
        isbns = [_isbn(i) for i in range(1, n["book"] + 1)]
        out["book"] = _copy(
            conn,
            "book",
            (
                "isbn",
                "title",
                "subtitle",
                "description",
                "format",
                "price",
                "currency",
                "pageCount",
                "publishedOn",
                "attributes",
                "tags",
                "createdAt",
                "updatedAt",
                "publisherId",
            ),
            (
                (
                    isbn,
                    _title(rng),
                    _title(rng) if rng.random() < 0.3 else None,
                    "A story of " + " and ".join(rng.sample(WORDS, 3)) + "."
                    if rng.random() < 0.8
                    else None,
                    rng.choice(FORMATS),
                    Decimal(rng.randint(499, 5999)) / 100,
                    "EUR",
                    rng.randint(80, 900) if rng.random() < 0.9 else None,
                    date(1990, 1, 1) + timedelta(days=rng.randint(0, 12000)),
                    json.dumps(
                        {
                            "language": rng.choice(["en", "de", "fr", "no"]),
                            "edition": rng.randint(1, 5),
                            "signed": rng.random() < 0.05,
                        }
                    ),
                    sorted(set(rng.sample(WORDS, rng.randint(0, 3)))),
                    (t := _when(rng)),
                    t + timedelta(days=rng.randint(0, 30)),
                    rng.randint(1, n["publisher"]) if rng.random() < 0.95 else None,
                )
                for isbn in isbns
            ),
        )
        pairs = {
            (isbn, rng.randint(1, n["author"]))
            for isbn in isbns
            for _ in range(rng.choice((1, 1, 2)))
        }
        out["book_authors"] = _copy(conn, "book_authors", ("book_isbn", "author_id"), sorted(pairs))
        leaf_ids = [c[0] for c in categories if c[3] is not None]
        cats = {
            (isbn, rng.choice(leaf_ids)) for isbn in isbns for _ in range(rng.choice((1, 1, 2)))
        }
        out["book_categories"] = _copy(
            conn, "book_categories", ("book_isbn", "category_id"), sorted(cats)
        )
        customers = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n["customer"])]

        def address() -> tuple[object, ...]:
            city, country = rng.choice(CITIES)
            return (
                f"{rng.randint(1, 200)} {rng.choice(WORDS).title()} Street",
                None,
                city,
                f"{rng.randint(1000, 99999)}",
                country,
            )

        out["customer"] = _copy(
            conn,
            "customer",
            (
                "id",
                "email",
                "fullName",
                "marketingOptIn",
                "createdAt",
                "billingLine1",
                "billingLine2",
                "billingCity",
                "billingPostalcode",
                "billingCountry",
                "shippingLine1",
                "shippingLine2",
                "shippingCity",
                "shippingPostalcode",
                "shippingCountry",
            ),
            (
                (
                    cid,
                    f"reader{i}@example.org",
                    f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    rng.random() < 0.3,
                    _when(rng),
                    *address(),
                    *(address() if rng.random() < 0.5 else (None,) * 5),
                )
                for i, cid in enumerate(customers)
            ),
        )
        lines: list[tuple[object, ...]] = []
        orders: list[tuple[object, ...]] = []
        for oid in range(1, n["orders"] + 1):
            count = rng.choice((1, 1, 2, 2, 3, 4))
            total = Decimal(0)
            for line_no in range(1, count + 1):
                qty = rng.choice((1, 1, 1, 2, 3))
                price = Decimal(rng.randint(499, 5999)) / 100
                total += qty * price
                lines.append((oid, line_no, qty, price, rng.choice(isbns)))
            placed = _when(rng)
            orders.append(
                (
                    oid,
                    rng.choice(STATUSES),
                    total,
                    "EUR",
                    placed,
                    placed + timedelta(hours=rng.randint(0, 200)),
                    rng.choice(customers),
                    *address(),
                )
            )
        out["orders"] = _copy(
            conn,
            "orders",
            (
                "id",
                "status",
                "totalAmount",
                "currency",
                "placedAt",
                "updatedAt",
                "customerId",
                "shipToLine1",
                "shipToLine2",
                "shipToCity",
                "shipToPostalcode",
                "shipToCountry",
            ),
            orders,
        )
        out["order_line"] = _copy(
            conn, "order_line", ("orderId", "lineNo", "quantity", "unitPrice", "bookIsbn"), lines
        )
        out["review"] = _copy(
            conn,
            "review",
            (
                "id",
                "rating",
                "headline",
                "body",
                "verifiedPurchase",
                "createdAt",
                "bookIsbn",
                "customerId",
            ),
            (
                (
                    i,
                    rng.choice((1, 2, 3, 4, 4, 5, 5, 5)),
                    _title(rng) if rng.random() < 0.7 else None,
                    " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))),
                    rng.random() < 0.6,
                    _when(rng),
                    rng.choice(isbns),
                    rng.choice(customers) if rng.random() < 0.9 else None,
                )
                for i in range(1, n["review"] + 1)
            ),
        )
        out["inventory_movement"] = _copy(
            conn,
            "inventory_movement",
            ("id", "quantityDelta", "reason", "note", "occurredAt", "bookIsbn", "orderId"),
            (
                (
                    i,
                    rng.choice((-3, -2, -1, 5, 10, 20)),
                    rng.choice(("purchase", "sale", "return", "adjustment")),
                    "stock count" if i % 10 == 0 else None,
                    _when(rng),
                    rng.choice(isbns),
                    rng.randint(1, n["orders"]) if i % 2 else None,
                )
                for i in range(1, n["inventory_movement"] + 1)
            ),
        )
        for table, column in (
            ("publisher", "id"),
            ("author", "id"),
            ("category", "id"),
            ("orders", "id"),
            ("review", "id"),
        ):
            conn.execute(
                sql.SQL(
                    "select setval(pg_get_serial_sequence({}, {}), (select max({}) from {}))"
                ).format(
                    sql.Literal(f'"{table}"'),
                    sql.Literal(column),
                    sql.Identifier(column),
                    sql.Identifier(table),
                )
            )
        conn.execute(
            sql.SQL(
                "select setval(pg_get_serial_sequence('inventory_movement', 'id'), "
                "(select max(id) from inventory_movement))"
            )
        )
    return SeedResult(out)
