"""Reflect databases and diff schemas: the parity oracle."""

from ormshift.schema.canonical import server_canonical
from ormshift.schema.diff import Difference, diff

__all__ = ["Difference", "diff", "server_canonical"]
