"""Typed errors of `ormshift.orm`, and the one place driver errors are translated.

Every error names the table and the constraint where PostgreSQL said which; the driver's
own exception is kept as ``__cause__`` and never escapes the public API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import exc as orm_exc

from ormshift.dsn import redact
from ormshift.errors import ConnectionFailed, OrmshiftError
from ormshift.orm.transformers import TransformerFailed

#: the errors `ormshift.orm` exports (the others are raised and caught inside it)
__all__ = [
    "CheckViolation",
    "ConnectionLost",
    "EntityNotFound",
    "FindOptionsError",
    "ForeignKeyViolation",
    "MissingDeleteDateColumn",
    "NoVersionOrUpdateDateColumn",
    "NotNullViolation",
    "OptimisticLockCanNotBeUsed",
    "OptimisticLockVersionMismatch",
    "OrmError",
    "PessimisticLockTransactionRequired",
    "PoolTimeout",
    "QueryFailed",
    "QueryTimeout",
    "RelationIdsNotSupported",
    "RelationNotJoined",
    "SubjectWithoutIdentifier",
    "UniqueViolation",
    "UnknownProperty",
    "UnsupportedFindOptions",
    "UpdateValuesMissing",
]


class OrmError(OrmshiftError):
    """Base of every error `ormshift.orm` raises."""

    #: TypeORM's name for the same failure, used when results are compared.
    typeorm_name = "TypeORMError"


class FindOptionsError(OrmError):
    """Find options or criteria that TypeORM would reject too (unknown names, nulls, empty)."""


class UnsupportedFindOptions(FindOptionsError):
    """Find options TypeORM refuses with a plain ``Error`` rather than a TypeORMError
    (``findOne`` without ``where``, an operator a relation does not support)."""

    typeorm_name = "Error"


class RelationIdsNotSupported(OrmError, NotImplementedError):
    """``loadRelationIds``: TypeORM accepts it and puts the ids in the relation's own
    property; a SQLAlchemy relationship holds entities, so ormshift refuses it (a
    `NotImplementedError`, never equal to a TypeORM error when results are compared)."""


class RelationNotJoined(FindOptionsError):
    """Update/delete criteria that go through a relation (``{user: {role: ...}}``):
    TypeORM's update and delete builders join nothing, so it refuses them with a plain
    ``Error`` ("Cannot find alias for relation at user"); only an owning to-one given
    by its referenced key (``{user: {id: 3}}``) compares the foreign key."""

    typeorm_name = "Error"


class SubjectWithoutIdentifier(FindOptionsError):
    """``remove`` of an entity without a primary key value: TypeORM refuses to delete
    a row it cannot name."""

    typeorm_name = "SubjectWithoutIdentifierError"


class UpdateValuesMissing(FindOptionsError):
    """An update with nothing to set (every value left out, or not updatable)."""

    typeorm_name = "UpdateValuesMissingError"


class OptimisticLockCanNotBeUsed(FindOptionsError):
    """An optimistic lock on a find of many (TypeORM allows it on ``findOne`` only)."""

    typeorm_name = "OptimisticLockCanNotBeUsedError"


class NoVersionOrUpdateDateColumn(FindOptionsError):
    """An optimistic lock on an entity with neither a version nor an update date column."""

    typeorm_name = "NoVersionOrUpdateDateColumnError"

    def __init__(self, entity: str) -> None:
        super().__init__(f"Entity {entity} does not have version or update date columns.")


class MissingDeleteDateColumn(FindOptionsError):
    """A soft delete, restore, soft remove or recover of an entity without a delete date."""

    typeorm_name = "MissingDeleteDateColumnError"

    def __init__(self, entity: str) -> None:
        super().__init__(f'Entity "{entity}" does not have delete date columns.')


class NestedSetMultipleRoot(OrmError):
    """A second root of a nested-set tree: TypeORM refuses it before writing."""

    typeorm_name = "NestedSetMultipleRootError"


class FindRelationsNotFound(FindOptionsError):
    """``relations`` of a tree-repository call naming no relation of the entity."""

    typeorm_name = "FindRelationsNotFoundError"

    def __init__(self, paths: list[str]) -> None:
        if len(paths) == 1:
            text = (
                f'Relation "{paths[0]}" was not found; please check if it is correct and '
                "really exists in your entity."
            )
        else:
            named = ", ".join(f'"{p}"' for p in paths)
            text = (
                f"Relations {named} were not found; please check if relations are correct "
                "and they exist in your entities."
            )
        super().__init__(text)


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


class TransactionNotStarted(OrmError):
    """The end of a transaction whose connection has left it already: a nested
    transaction opened after a caught failure rolled the whole transaction back, as
    TypeORM's does when PostgreSQL refuses its SAVEPOINT."""

    typeorm_name = "TransactionNotStartedError"


class PessimisticLockTransactionRequired(OrmError):
    """A pessimistic lock was asked for outside a transaction."""

    typeorm_name = "PessimisticLockTransactionRequiredError"


class PoolTimeout(OrmError):
    """No connection became free in the pool within the configured timeout."""

    typeorm_name = "PoolTimeout"


class ConnectionLost(OrmError, ConnectionFailed):
    """The connection in use was closed under the call: its backend was terminated,
    the server shut down or restarted, or the network dropped it. The pool discards it;
    the next call gets a new connection. One class whichever path ran the statement,
    and whether or not the server said why (``sqlstate`` then, else None)."""

    typeorm_name = "QueryFailedError"

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


_BY_SQLSTATE: dict[str, type[QueryFailed]] = {
    "23505": UniqueViolation,
    "23503": ForeignKeyViolation,
    "23502": NotNullViolation,
    "23514": CheckViolation,
    "57014": QueryTimeout,
}


# the server ends the session: admin_shutdown (pg_terminate_backend, shutdown),
# crash_shutdown, idle_session_timeout, idle_in_transaction_session_timeout; and
# class 08, connection exceptions
_LOST = frozenset({"57P01", "57P02", "57P05", "25P03"})
_BACKGROUND = re.compile(r"\s*\(Background on this error at: [^)]*\)")


def one_line(text: str) -> str:
    """The first line of a driver's or SQLAlchemy's message, without SQLAlchemy's
    "(Background on this error at: ...)" link, passwords redacted."""
    lines = [line.strip() for line in _BACKGROUND.sub("", text).splitlines()]
    return redact(next((line for line in lines if line), ""))


def _lost(exc: psycopg.Error, invalidated: bool) -> ConnectionLost | None:
    """The connection was lost if the server said it ended the session, the driver
    found it closed, or SQLAlchemy invalidated it as a disconnect."""
    sqlstate = exc.sqlstate
    ended = sqlstate in _LOST or (sqlstate or "").startswith("08")
    dropped = sqlstate is None and isinstance(exc, psycopg.OperationalError)
    if not (ended or dropped or invalidated):
        return None
    detail = one_line(exc.diag.message_primary or str(exc)) or type(exc).__name__
    return ConnectionLost(
        f"the database connection was lost ({detail}): the server ended it or went "
        "away; run the operation again, the pool opens a new connection",
        sqlstate=sqlstate,
    )


def from_driver(exc: psycopg.Error) -> QueryFailed:
    """The typed error for a psycopg error, with PostgreSQL's diagnostics."""
    diag = exc.diag
    sqlstate = exc.sqlstate or diag.sqlstate
    cls = _BY_SQLSTATE.get(sqlstate or "", QueryFailed)
    primary = one_line(diag.message_primary or str(exc))
    parts = [primary or cls.__name__]
    if diag.table_name:
        parts.append(f"table {diag.table_name!r}")
    if diag.constraint_name:
        parts.append(f"constraint {diag.constraint_name!r}")
    if diag.message_detail:
        parts.append(one_line(diag.message_detail))
    return cls(
        "; ".join(parts),
        sqlstate=sqlstate,
        table=diag.table_name,
        constraint=diag.constraint_name,
        column=diag.column_name,
    )


@contextmanager
def translated() -> Iterator[None]:
    """Run a block; SQLAlchemy and driver errors leave it as `OrmError` subclasses,
    each with a one-line message."""
    try:
        yield
    except TransformerFailed as exc:  # a bind processor called outside a statement
        raise exc.error from None
    except sa_exc.TimeoutError as exc:
        # args[0]: SQLAlchemy's message without its "Background on this error" link
        waited = one_line(str(exc.args[0] if exc.args else exc))
        raise PoolTimeout(
            f"no database connection became free in time: {waited}; "
            "raise pool_size/max_overflow or pool_timeout, or hold connections shorter"
        ) from exc
    except orm_exc.StaleDataError as exc:
        raise OptimisticLockVersionMismatch(one_line(str(exc))) from exc
    except psycopg.Error as exc:  # from a statement run on the driver's cursor
        # (which invalidates a connection the server dropped, as SQLAlchemy does)
        raise _translated_driver(exc, invalidated=False, connecting=False) from exc
    except sa_exc.DBAPIError as exc:
        orig = exc.orig
        if isinstance(orig, psycopg.Error):
            # no statement ran: the pool could not open a connection
            connecting = exc.statement is None and not exc.connection_invalidated
            invalidated = exc.connection_invalidated
            raise _translated_driver(orig, invalidated=invalidated, connecting=connecting) from exc
        raise QueryFailed(one_line(str(orig or exc))) from exc
    except sa_exc.PendingRollbackError as exc:
        # a flush failed earlier in this transaction: PostgreSQL has aborted it, and
        # refuses every statement until it ends, as TypeORM's next statement is refused
        raise QueryFailed(
            "current transaction is aborted, commands ignored until end of transaction block",
            sqlstate="25P02",
        ) from exc
    except sa_exc.StatementError as exc:
        if isinstance(exc.orig, TransformerFailed):
            # a transformer's own error, as TypeORM lets it through
            raise exc.orig.error from None
        enum_value = _enum_lookup(exc)
        if enum_value is None:
            raise OrmError(one_line(str(exc))) from exc
        raise enum_value from exc
    except sa_exc.SQLAlchemyError as exc:
        raise OrmError(one_line(str(exc))) from exc


_NOT_AN_ENUM_VALUE = re.compile(
    r"'(?P<value>.*)' is not among the defined enum values\. Enum name: (?P<name>\S+)\."
)


def _enum_lookup(exc: sa_exc.StatementError) -> QueryFailed | None:
    """A label an ``Enum`` has not, refused by SQLAlchemy before it is sent, as
    PostgreSQL refuses it when TypeORM sends it (22P02)."""
    found = _NOT_AN_ENUM_VALUE.search(str(exc.orig)) if isinstance(exc.orig, LookupError) else None
    if found is None:
        return None
    return QueryFailed(
        f'invalid input value for enum {found["name"]}: "{found["value"]}"', sqlstate="22P02"
    )


def _translated_driver(exc: psycopg.Error, *, invalidated: bool, connecting: bool) -> OrmshiftError:
    if not connecting:
        lost = _lost(exc, invalidated)
        if lost is not None:
            return lost
    if exc.sqlstate:
        return from_driver(exc)
    return _unreachable(exc)


def _unreachable(exc: psycopg.Error) -> OrmshiftError:
    """A driver error without SQLSTATE: the server is gone (or the driver failed)."""
    if isinstance(exc, psycopg.OperationalError):
        detail = one_line(str(exc))
        return ConnectionFailed(
            f"cannot reach the database: {detail or type(exc).__name__}; "
            "check that the server runs and the URL is right"
        )
    return QueryFailed(one_line(str(exc)) or type(exc).__name__)
