"""Typed errors of `ormshift.orm`, and the one place driver errors are translated.

Every error names the table and the constraint where PostgreSQL said which; the driver's
own exception is kept as ``__cause__`` and never escapes the public API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

from ormshift.dsn import redact
from ormshift.errors import ConnectionFailed, OrmshiftError


class OrmError(OrmshiftError):
    """Base of every error `ormshift.orm` raises."""

    #: TypeORM's name for the same failure, used when results are compared.
    typeorm_name = "TypeORMError"


class FindOptionsError(OrmError):
    """Find options or criteria that TypeORM would reject too (unknown names, nulls, empty)."""


class UnknownProperty(FindOptionsError):
    """A name in find options that the entity has neither as column, embedded nor relation."""

    typeorm_name = "EntityPropertyNotFoundError"


class EntityNotFound(OrmError):
    """``find_one_or_fail`` found nothing."""

    typeorm_name = "EntityNotFoundError"

    def __init__(self, entity: str, criteria: object) -> None:
        super().__init__(f'Could not find any entity of type "{entity}" matching: {criteria!r}')
        self.entity = entity
        self.criteria = criteria


class QueryFailed(OrmError):
    """PostgreSQL refused a statement; ``sqlstate``, ``table`` and ``constraint`` say why."""

    typeorm_name = "QueryFailedError"

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        table: str | None = None,
        constraint: str | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.table = table
        self.constraint = constraint
        self.column = column


class UniqueViolation(QueryFailed):
    """A unique constraint or index would be broken."""


class ForeignKeyViolation(QueryFailed):
    """A foreign key would point nowhere, or a row still referenced would go."""


class NotNullViolation(QueryFailed):
    """A NOT NULL column would be null."""


class CheckViolation(QueryFailed):
    """A CHECK constraint would be broken."""


class QueryTimeout(QueryFailed):
    """The statement ran longer than the data source's statement timeout."""


class OptimisticLockVersionMismatch(OrmError):
    """The row's version is not the one the caller loaded: someone else changed it."""

    typeorm_name = "OptimisticLockVersionMismatchError"


class PessimisticLockTransactionRequired(OrmError):
    """A pessimistic lock was asked for outside a transaction."""

    typeorm_name = "PessimisticLockTransactionRequiredError"


class PoolTimeout(OrmError):
    """No connection became free in the pool within the configured timeout."""

    typeorm_name = "PoolTimeout"


_BY_SQLSTATE: dict[str, type[QueryFailed]] = {
    "23505": UniqueViolation,
    "23503": ForeignKeyViolation,
    "23502": NotNullViolation,
    "23514": CheckViolation,
    "57014": QueryTimeout,
}


def from_driver(exc: psycopg.Error) -> QueryFailed:
    """The typed error for a psycopg error, with PostgreSQL's diagnostics."""
    diag = exc.diag
    sqlstate = exc.sqlstate or diag.sqlstate
    cls = _BY_SQLSTATE.get(sqlstate or "", QueryFailed)
    lines = str(exc).strip().splitlines()
    primary = diag.message_primary or (lines[0] if lines else "")
    parts = [redact(primary or cls.__name__)]
    if diag.table_name:
        parts.append(f"table {diag.table_name!r}")
    if diag.constraint_name:
        parts.append(f"constraint {diag.constraint_name!r}")
    if diag.message_detail:
        parts.append(redact(diag.message_detail))
    return cls(
        "; ".join(parts),
        sqlstate=sqlstate,
        table=diag.table_name,
        constraint=diag.constraint_name,
        column=diag.column_name,
    )


@contextmanager
def translated() -> Iterator[None]:
    """Run a block; SQLAlchemy and driver errors leave it as `OrmError` subclasses."""
    try:
        yield
    except sa_exc.TimeoutError as exc:
        raise PoolTimeout(
            f"no database connection became free in time: {exc}; "
            "raise pool_size/max_overflow or pool_timeout, or hold connections shorter"
        ) from exc
    except orm_exc.StaleDataError as exc:
        raise OptimisticLockVersionMismatch(str(exc)) from exc
    except psycopg.Error as exc:  # from a statement run on the driver's cursor
        if exc.sqlstate:
            raise from_driver(exc) from exc
        raise _unreachable(exc) from exc
    except sa_exc.DBAPIError as exc:
        orig = exc.orig
        if isinstance(orig, psycopg.Error) and orig.sqlstate:
            raise from_driver(orig) from exc
        if isinstance(orig, psycopg.Error):
            raise _unreachable(orig) from exc
        raise QueryFailed(redact(str(orig or exc).strip().splitlines()[0])) from exc
    except sa_exc.SQLAlchemyError as exc:
        raise OrmError(redact(str(exc).strip().splitlines()[0])) from exc


def _unreachable(exc: psycopg.Error) -> OrmshiftError:
    """A driver error without SQLSTATE: the server is gone (or the driver failed)."""
    if isinstance(exc, psycopg.OperationalError):
        detail = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
        return ConnectionFailed(
            f"cannot reach the database: {detail or type(exc).__name__}; "
            "check that the server runs and the URL is right"
        )
    return QueryFailed(redact(str(exc).strip().splitlines()[0]))
