"""Verify: prove that source and target hold the same data.

Counts, per-segment checksums computed inside each database and bisected down to the
differing rows (data-diff's algorithm), orphaned foreign keys and sequences behind.
"""

from ormshift.mapping import (
    ColumnMapping,
    Mapping,
    MappingError,
    TableMapping,
    load_mapping,
    parse_mapping,
)
from ormshift.verify.engine import verify
from ormshift.verify.model import (
    Difference,
    Options,
    OrphanCheck,
    SequenceCheck,
    TableResult,
)
from ormshift.verify.report import Event, VerifyReport
from ormshift.verify.sample import undetected_at_95

__all__ = [
    "ColumnMapping",
    "Difference",
    "Event",
    "Mapping",
    "MappingError",
    "Options",
    "OrphanCheck",
    "SequenceCheck",
    "TableMapping",
    "TableResult",
    "VerifyReport",
    "load_mapping",
    "parse_mapping",
    "undetected_at_95",
    "verify",
]
