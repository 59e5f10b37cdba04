"""The mapping between a source schema and a reshaped target: renamed tables and
columns, TypeORM's text encodings turned into PostgreSQL types, casts, computed columns
and skipped columns. Shared by transfer (what to copy where) and verify (what to compare).
"""

from ormshift.mapping.loader import load_mapping, parse_mapping
from ormshift.mapping.model import (
    NAME_RULES,
    TRANSFORMS,
    ColumnMapping,
    Mapping,
    MappingError,
    NameRule,
    TableMapping,
    Transform,
    apply_rule,
    snake_case,
)

__all__ = [
    "NAME_RULES",
    "TRANSFORMS",
    "ColumnMapping",
    "Mapping",
    "MappingError",
    "NameRule",
    "TableMapping",
    "Transform",
    "apply_rule",
    "load_mapping",
    "parse_mapping",
    "snake_case",
]
