"""The key of the last row of a COPY stream, read from the stream itself.

A batch is ``COPY (SELECT ... WHERE key > lo ORDER BY key LIMIT n)``: its upper key is
the key of the last row it sent, and its row count is the COPY's own command tag. Taking
both from the stream spares the source an index scan over the batch's keys per batch
(``OFFSET n-1 LIMIT 1``; 0.2 s per 2 M rows here) and a round trip.

The key must come back exactly as ``key::text`` shows it (that is how the ledger stores
keys). That holds for the types below, whose ``::text`` is their output function and
whose binary form is simple; a key of any other type (or one the mapping casts) is
not decoded, and the batch's bound is asked of the source as before.
"""

from __future__ import annotations

import re
import struct
import uuid
from dataclasses import dataclass

from ormshift.transfer.copyout import header_length
from ormshift.transfer.keyset import Key
from ormshift.transfer.plan import TablePlan

_INTS = {"smallint": ">h", "integer": ">i", "bigint": ">q"}
_TEXTS = re.compile(r"^(text|character varying(\(\d+\))?)$")
_ESCAPES = {
    ord("b"): "\b", ord("f"): "\f", ord("n"): "\n", ord("r"): "\r", ord("t"): "\t",
    ord("v"): "\v", ord("\\"): "\\",
}  # fmt: skip


def decodable(fmt: str) -> bool:
    return fmt in _INTS or fmt == "uuid" or _TEXTS.match(fmt) is not None


@dataclass(frozen=True)
class KeyDecoder:
    """Where the key columns sit in a table's COPY rows, and their types."""

    positions: tuple[int, ...]
    types: tuple[str, ...]
    binary: bool
    encoding: str = "utf-8"

    def key(self, row: bytes) -> Key | None:
        """The key of one COPY row (the stream's last data message); None if it does not
        parse as expected, and the caller asks the source instead."""
        try:
            fields = self._binary(row) if self.binary else self._text(row)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError):
            return None
        return fields

    def _binary(self, row: bytes) -> Key | None:
        view = memoryview(row)
        at = header_length(view)  # the first message carries the file header
        (count,) = struct.unpack_from(">h", view, at)
        at += 2
        if count < 0 or max(self.positions) >= count:
            return None
        raw: dict[int, bytes | None] = {}
        for i in range(count):
            (size,) = struct.unpack_from(">i", view, at)
            at += 4
            if size > len(view) - at:
                return None
            raw[i] = bytes(view[at : at + size]) if size >= 0 else None
            at += max(size, 0)
        if at != len(view) or any(raw[p] is None for p in self.positions):
            return None  # not exactly one row, or a NULL key: ask the source instead
        return tuple(
            self._value(raw[p] or b"", t) for p, t in zip(self.positions, self.types, strict=True)
        )

    def _value(self, data: bytes, fmt: str) -> str:
        if fmt in _INTS:
            return str(struct.unpack(_INTS[fmt], data)[0])
        if fmt == "uuid":
            return str(uuid.UUID(bytes=data))
        return data.decode(self.encoding)

    def _text(self, row: bytes) -> Key | None:
        fields = bytes(row).rstrip(b"\n").split(b"\t")
        values = [fields[p] for p in self.positions]
        if any(v == b"\\N" for v in values):
            return None
        return tuple(unescape(v.decode(self.encoding)) for v in values)


def unescape(text: str) -> str:
    """A value of COPY's text format as it was before COPY escaped it."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in "01234567":
            digits = re.match(r"[0-7]{1,3}", text[i + 1 :])
            assert digits is not None
            out.append(chr(int(digits.group(0), 8)))
            i += 1 + len(digits.group(0))
        elif nxt == "x" and re.match(r"[0-9a-fA-F]", text[i + 2 : i + 3]):
            digits = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2 :])
            assert digits is not None
            out.append(chr(int(digits.group(0), 16)))
            i += 2 + len(digits.group(0))
        else:
            out.append(_ESCAPES.get(ord(nxt), nxt))
            i += 2
    return "".join(out)


def decoder(table: TablePlan, encoding: str) -> KeyDecoder | None:
    """How to read ``table``'s key off its COPY rows, or None when it cannot be."""
    if not table.key or len(table.key_types) != len(table.key):
        return None
    if not all(decodable(t) for t in table.key_types):
        return None
    positions: list[int] = []
    for k in table.key:
        found = [i for i, o in enumerate(table.outputs) if o.source == k and o.plain]
        if not found:
            return None
        positions.append(found[0])
    return KeyDecoder(tuple(positions), table.key_types, table.binary, encoding)
