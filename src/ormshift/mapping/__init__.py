"""The mapping between a source schema and a reshaped target: renamed tables and
columns, TypeORM's text encodings turned into PostgreSQL types, casts, computed columns
and skipped columns. Shared by transfer (what to copy where) and verify (what to compare).
"""

from ormshift.mapping import model
from ormshift.mapping.loader import load_mapping, parse_mapping
from ormshift.mapping.model import *  # noqa: F403 - the model, as model lists it

__all__ = [
    "load_mapping",
    "parse_mapping",
]
__all__ += model.__all__
