"""Database URLs: parsing, redaction, and connecting with errors a user can act on.

Every URL of the package is parsed, rewritten and redacted here (the standard library's
``urllib.parse``, so that a bad URL is answered before SQLAlchemy or psycopg load).

A password never leaves this module in a message: every error names the database by
its redacted URL.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from ormshift.errors import ConnectionFailed, InvalidURL

if TYPE_CHECKING:
    import psycopg

POSTGRESQL, MYSQL, SQLITE = "postgresql", "mysql", "sqlite"
_ENGINES = {
    "postgresql": POSTGRESQL,
    "postgres": POSTGRESQL,
    "mysql": MYSQL,
    "mariadb": MYSQL,
    "sqlite": SQLITE,
}
_NAMES = {POSTGRESQL: "PostgreSQL", MYSQL: "MySQL/MariaDB", SQLITE: "SQLite"}
_EXAMPLES = {
    POSTGRESQL: "postgresql://user@host/db",
    MYSQL: "mysql://user@host/db",
    SQLITE: "sqlite:///path/to/file.db",
}

_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?=@)", re.I)
_PASSWORD_KV = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)


def redact(text: str) -> str:
    """``text`` with every URL password and ``password=`` value replaced by ``***``."""
    text = _PASSWORD_IN_URL.sub(lambda m: m["head"] + "***", text)
    return _PASSWORD_KV.sub(lambda m: m["head"] + "***", text)


def _examples(engines: Collection[str]) -> str:
    return " or ".join(_EXAMPLES[e] for e in engines)


def engine_of(url: str, what: str = "the database URL") -> str:
    """Which engine ``url`` names (`POSTGRESQL`, `MYSQL` or `SQLITE`), once its host and
    port parse; `InvalidURL` saying what is wrong otherwise. A libpq ``key=value``
    string is PostgreSQL."""
    text = url.strip()
    if not text:
        raise InvalidURL(f"{what} is empty; give one like {_EXAMPLES[POSTGRESQL]}")
    if "://" not in text:
        if "=" in text:
            return POSTGRESQL
        raise InvalidURL(
            f"{what} {redact(url)!r} is not a database URL; give one like {_EXAMPLES[POSTGRESQL]}"
        )
    where = f"{what} {redact(text)}"
    try:
        parts = urlsplit(text)
    except ValueError as exc:  # "Invalid IPv6 URL": a bracket left open
        raise InvalidURL(
            f"{where}: the host is not valid (an IPv6 address goes in brackets, like [::1])"
        ) from exc
    scheme = parts.scheme.split("+", 1)[0].lower()
    engine = _ENGINES.get(scheme)
    if engine is None:
        raise InvalidURL(
            f"{where}: {scheme or '(no scheme)'}:// is not a database; give "
            f"{_examples((POSTGRESQL, MYSQL, SQLITE))}"
        )
    try:
        port = parts.port
    except ValueError as exc:  # not a number, or above 65535
        raise InvalidURL(f"{where}: the port is not a number from 1 to 65535") from exc
    if port == 0:
        raise InvalidURL(f"{where}: the port is not a number from 1 to 65535")
    return engine


def check_url(
    url: str,
    engines: Collection[str] = (POSTGRESQL,),
    what: str = "the database URL",
    role: str | None = None,
) -> str:
    """`engine_of` ``url``, which must be one of ``engines``; `InvalidURL` otherwise.

    ``what`` names the URL in messages (a flag such as ``--source``), ``role`` what it
    is for (``"a migrate source"``)."""
    engine = engine_of(url, what)
    if engine not in engines:
        names = " or ".join(_NAMES[e] for e in engines)
        raise InvalidURL(
            f"{what} {redact(url.strip())}: {role or what} must be {names} "
            f"({_examples(engines)}), not {_NAMES[engine]}"
        )
    return engine


def engine_name(url: str) -> str | None:
    """The engine ``url``'s scheme names (`POSTGRESQL`, `MYSQL`, `SQLITE`; any driver
    suffix), None for another scheme; nothing else is checked. A libpq ``key=value``
    string is PostgreSQL."""
    text = url.strip()
    if "://" not in text:
        return POSTGRESQL if "=" in text else None
    return _ENGINES.get(text.split("://", 1)[0].split("+", 1)[0].lower())


@dataclass(frozen=True)
class Parts:
    """What a ``scheme://user:password@host:port/database`` URL holds, unquoted."""

    host: str | None
    port: int | None
    user: str | None
    password: str | None
    database: str


def parts_of(url: str) -> Parts:
    """The parts of a URL that `engine_of` accepted."""
    parts = urlsplit(url.strip())
    return Parts(
        host=parts.hostname,
        port=parts.port,
        user=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
        database=unquote(parts.path.lstrip("/")),
    )


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` on the same server (a libpq URL)."""
    parts = urlsplit(normalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db`` -> ``relative.db``; ``sqlite:////abs.db`` -> ``/abs.db``."""
    path = unquote(urlsplit(url).path)
    return path[1:] if path.startswith("/") else path


def _with_scheme(scheme: str, url: str) -> str:
    """``url`` under ``scheme``, its ``//`` kept even with no host (``postgresql://``:
    libpq's environment names the server)."""
    parts = urlsplit(url)
    if "://" not in url:
        return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))
    tail = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return f"{scheme}://{parts.netloc}{tail}"


def normalize_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    scheme = urlsplit(url).scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return _with_scheme(scheme, url)


def sqlalchemy_url(url: str, driver: str = "psycopg") -> str:
    return _with_scheme(f"postgresql+{driver}", normalize_url(url))


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
        named = re.search(r'database "(?P<name>[^"]*)" does not exist', str(exc))
        what = f"the database {named['name']!r}" if named else "the database"
        return f"cannot connect to {where}: {what} does not exist; create it or fix the URL"
    if (
        "connection refused" in lowered
        or "could not translate host" in lowered
        or ("timeout" in lowered)
    ):
        return f"cannot connect to {where}: no server answers there; check the host and port"
    return f"cannot connect to {where}: {redact(detail)}"


def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> psycopg.Connection:
    """A psycopg connection to ``url`` (PostgreSQL), or `ConnectionFailed` saying why not."""
    import psycopg  # noqa: PLC0415 - `redact` and the URL checks start fast without it

    check_url(url, (POSTGRESQL,), "the database URL")
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
