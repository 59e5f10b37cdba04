"""Random values by kind, each as the SQL text a seed writes and as the JSON argument an
operation passes (TypeORM's own spelling: numbers, strings, ``{$date}``, ``{$bytes}``)."""

from __future__ import annotations

import datetime
import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from ormshift.manifest.model import Column

__all__ = ["Value", "make_value"]


@dataclass(frozen=True)
class Value:
    sql: str | None  # text cast to the column's type; None = NULL
    arg: Any


_WORDS = ("alpha", "beta", "gamma", "delta", "omega", "kappa", "sigma", "zeta")


def _text(rng: random.Random, n: int, length: int | None) -> str:
    word = f"{rng.choice(_WORDS)}{'-' if rng.random() < 0.5 else ' '}{n}"
    return word[:length] if length else word


def _timestamp(rng: random.Random) -> datetime.datetime:
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)
    return start + datetime.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))


#: timetz offsets as PostgreSQL reads and writes them
_OFFSETS = ("+00", "+02", "-08", "+05:30", "-03:30", "+14")


def _time(rng: random.Random) -> str:
    t = f"{rng.randrange(0, 24):02d}:{rng.randrange(0, 60):02d}:{rng.randrange(0, 60):02d}"
    return t + rng.choice(("", "", ".5", ".125", ".000001"))


def _interval(rng: random.Random) -> str:
    """Interval text with years and months (not days: TypeORM keeps them apart), days,
    and a time of day, negative parts too."""
    parts = []
    if rng.random() < 0.4:
        parts.append(f"{rng.randrange(-2, 5)} years")
    if rng.random() < 0.5:
        parts.append(f"{rng.randrange(-11, 30)} mons")
    if rng.random() < 0.6 or not parts:
        parts.append(f"{rng.randrange(-3, 40)} days")
    if rng.random() < 0.5:
        sign = "-" if rng.random() < 0.2 else ""
        hms = (rng.randrange(0, 30), rng.randrange(0, 60), rng.randrange(0, 60))
        parts.append(sign + ":".join(f"{n:02d}" for n in hms))
        if rng.random() < 0.3:
            parts[-1] += ".25"
    return " ".join(parts)


def make_value(
    kind: str,
    column: Column,
    rng: random.Random,
    n: int,
    enum_values: tuple[str, ...] = (),
    enum_numbers: tuple[str, ...] = (),
) -> Value:
    """A value of ``kind`` for ``column``; ``n`` makes strings unique; a label of a
    numeric TypeScript enum (``enum_numbers``) is passed as its number."""
    if kind.endswith("[]"):
        base = kind[:-2]
        items = [
            make_value(base, column, rng, n * 7 + i, enum_values, enum_numbers)
            for i in range(rng.randrange(0, 3))
        ]
        quoted = ",".join('"' + str(v.sql).replace('"', '\\"') + '"' for v in items)
        return Value("{" + quoted + "}", [v.arg for v in items])
    if kind == "int":
        v = rng.randrange(-5, 100)
        if column.type == "smallint":
            v = rng.randrange(-5, 50)
        return Value(str(v), v)
    if kind == "bigint":  # past 2^53 too: TypeORM keeps them as text
        v = rng.choice((rng.randrange(0, 10**12), rng.randrange(-(2**63), 2**63)))
        return Value(str(v), str(v))
    if kind == "numeric":
        scale = column.scale or 0
        digits = max(1, (column.precision or 10) - scale)
        whole = rng.randrange(0, 10 ** min(digits, 6))
        text = str(whole) if scale == 0 else f"{whole}.{rng.randrange(0, 10**scale):0{scale}d}"
        text = ("-" if whole and rng.random() < 0.2 else "") + text
        return Value(text, text)
    if kind == "float":
        f = rng.randrange(-400, 400) / 4
        return Value(repr(f), f)
    if kind == "bool":
        b = rng.random() < 0.5
        return Value("true" if b else "false", b)
    if kind == "str":
        s = _text(rng, n, column.length)
        return Value(s, s)
    if kind == "char":
        length = column.length or 1
        s = "".join(rng.choice("ABCDEFGH") for _ in range(length))
        return Value(s, s)
    if kind == "enum":
        s = rng.choice(enum_values) if enum_values else "x"
        return Value(s, int(s) if s in enum_numbers else s)
    if kind == "point":  # TypeORM writes {x, y}; text is written as it is
        x, y = rng.randrange(-40, 40) / 4, rng.randrange(-40, 40) / 4
        return Value(f"({x},{y})", {"x": x, "y": y} if rng.random() < 0.7 else f"({x},{y})")
    if kind == "circle":
        x, y, r = rng.randrange(-40, 40) / 4, rng.randrange(-40, 40) / 4, rng.randrange(0, 20) / 4
        text = f"<({x},{y}),{r}>"
        return Value(text, {"x": x, "y": y, "radius": r} if rng.random() < 0.7 else text)
    if kind == "int4range":
        low = rng.randrange(-50, 50)
        text = rng.choice((f"[{low},{low + rng.randrange(1, 20)})", f"({low},]", "empty"))
        return Value(text, text)
    if kind == "date":
        d = _timestamp(rng).date().isoformat()
        return Value(d, d)
    if kind in ("time", "timetz"):
        t = _time(rng) + (rng.choice(_OFFSETS) if kind == "timetz" else "")
        return Value(t, t)
    if kind in ("timestamp", "timestamptz"):
        ts = _timestamp(rng)
        iso = ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        text = iso if kind == "timestamptz" else iso[:-1]
        arg: Any = {"$date": iso} if rng.random() < 0.5 else iso
        return Value(text, arg)
    if kind == "uuid":
        u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return Value(u, u)
    if kind in ("json", "jsonb"):
        obj = {"k": rng.choice(_WORDS), "n": rng.randrange(0, 5)}
        return Value(json.dumps(obj), obj)
    if kind == "simple-json":
        obj = {"k": rng.choice(_WORDS), "n": rng.randrange(0, 5)}
        return Value(json.dumps(obj, separators=(",", ":")), obj)
    if kind == "simple-array":
        words = [f"{rng.choice(_WORDS)}{n}-{i}" for i in range(rng.randrange(1, 3))]
        return Value(",".join(words), words)
    if kind == "interval":
        s = _interval(rng)
        return Value(s, s)
    if kind == "bytes":
        hexed = rng.getrandbits(32).to_bytes(4, "big").hex()
        return Value("\\x" + hexed, {"$bytes": hexed})
    if kind == "inet":
        s = f"10.0.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"
        return Value(s, s)
    if kind == "cidr":
        s = f"10.{rng.randrange(0, 255)}.0.0/16"
        return Value(s, s)
    if kind == "macaddr":
        s = ":".join(f"{rng.randrange(0, 256):02x}" for _ in range(6))
        return Value(s, s)
    raise ValueError(f"no values of kind {kind}")
