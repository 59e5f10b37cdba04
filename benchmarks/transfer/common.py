"""What the transfer benchmarks share: scratch databases, and an empty target per round."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def with_db(url: str, name: str) -> str:
    """``url`` with its database set to ``name``."""
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


def create_pair(server: str, prefix: str) -> tuple[str, str, list[str]]:
    """A fresh source and target database on ``server``: (source url, target url, names)."""
    names = [f"{prefix}_{k}_{uuid.uuid4().hex[:8]}" for k in ("src", "tgt")]
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(n)))
    src, tgt = (with_db(server, n) for n in names)
    return src, tgt, names


def drop(server: str, names: Sequence[str]) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        for n in names:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(n))
            )


def reset(tgt: str, tables: Sequence[str]) -> None:
    """Empty target ``tables``, no ledger, and a checkpoint: every path starts with no dirty
    pages or WAL of the run before it to flush (CHECKPOINT needs a superuser or
    pg_checkpoint)."""
    with psycopg.connect(tgt, autocommit=True) as conn:
        conn.execute("drop schema if exists ormshift cascade")
        conn.execute(
            sql.SQL("truncate {}").format(sql.SQL(", ").join(sql.Identifier(t) for t in tables))
        )
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("checkpoint")
