"""Database URLs: parsing, redaction, and connecting with errors a user can act on.

A password never leaves this module in a message: every error names the database by
its redacted URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ormshift.errors import ConnectionFailed

_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?=@)", re.I)
_PASSWORD_KV = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str) -> str:
    """``text`` with every URL password and ``password=`` value replaced by ``***``."""
    text = _PASSWORD_IN_URL.sub(lambda m: m["head"] + "***", text)
    return _PASSWORD_KV.sub(lambda m: m["head"] + "***", text)


def normalize_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def sqlalchemy_url(url: str, driver: str = "psycopg") -> str:
    parts = urlsplit(normalize_url(url))
    return urlunsplit(
        (f"postgresql+{driver}", parts.netloc, parts.path, parts.query, parts.fragment)
    )


def describe_failure(url: str, exc: Exception) -> str:
    """One line saying why connecting failed, without the password."""
    raw = str(exc).strip().splitlines()
    detail = raw[-1] if raw else exc.__class__.__name__
    lowered = str(exc).lower()
    where = redact(url)
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"cannot connect to {where}: the server refused the user name or password; check them"
        )
    if "does not exist" in lowered and "database" in lowered:
        return f"cannot connect to {where}: {redact(detail)}; create it or fix the URL"
    if (
        "connection refused" in lowered
        or "could not translate host" in lowered
        or ("timeout" in lowered)
    ):
        return f"cannot connect to {where}: no server answers there; check the host and port"
    return f"cannot connect to {where}: {redact(detail)}"


def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> psycopg.Connection:
    """A psycopg connection to ``url``, or `ConnectionFailed` saying why not."""
    if not url.strip():
        raise ConnectionFailed("the database URL is empty; give one like postgresql://user@host/db")
    if "://" not in url and "=" not in url:
        raise ConnectionFailed(
            f"{redact(url)!r} is not a database URL; give one like postgresql://user@host/db"
        )
    try:
        return psycopg.connect(
            normalize_url(url), autocommit=autocommit, connect_timeout=connect_timeout
        )
    except psycopg.Error as exc:
        raise ConnectionFailed(describe_failure(url, exc)) from exc
    except (ValueError, psycopg.ProgrammingError) as exc:  # malformed URL
        raise ConnectionFailed(
            f"{redact(url)} is not a valid database URL: {redact(str(exc))}"
        ) from exc
