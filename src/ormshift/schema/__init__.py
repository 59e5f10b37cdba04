"""Reflect databases and diff schemas: the parity oracle."""

from ormshift.schema.canonical import server_canonical
from ormshift.schema.compare import (
    SchemaNotFound,
    Snapshot,
    compare,
    diff_databases,
    jsonable,
    snapshot,
    snapshot_url,
)
from ormshift.schema.diff import Difference, diff
from ormshift.schema.sequences import Sequence, diff_sequences, reflect_sequences

__all__ = [
    "Difference",
    "SchemaNotFound",
    "Sequence",
    "Snapshot",
    "compare",
    "diff",
    "diff_databases",
    "diff_sequences",
    "jsonable",
    "reflect_sequences",
    "server_canonical",
    "snapshot",
    "snapshot_url",
]
