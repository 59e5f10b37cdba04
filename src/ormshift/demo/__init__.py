"""The demo: the whole pipeline on the bookstore example, on an embedded PostgreSQL."""

from ormshift.demo.run import Demo, DemoResult
from ormshift.demo.seed import SeedResult, seed_bookstore

__all__ = ["Demo", "DemoResult", "SeedResult", "seed_bookstore"]
