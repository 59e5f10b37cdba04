"""Errors compared by kind: TypeORM's error class against ormshift's, through one table.

TypeORM's side is the class name the sidecar reports (``QueryFailedError`` with the
SQLSTATE PostgreSQL gave); ormshift's side is the most specific class of the raised
exception found in `ORMSHIFT_KINDS`. Both become the same vocabulary of kinds (TypeORM's
class name). A class on either side that the table does not name stays its own kind
(``typeorm:Error``, ``ormshift:ValueError``), so it never matches anything by accident.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ormshift.compare.scenario import ScenarioAbort
from ormshift.orm import errors as orm_errors

__all__ = ["ORMSHIFT_KINDS", "TYPEORM_KINDS", "error_kind", "error_kind_typeorm"]

#: TypeORM's error classes (``err.constructor.name``) -> kind.
TYPEORM_KINDS: Mapping[str, str] = {
    "EntityNotFoundError": "EntityNotFoundError",
    "EntityPropertyNotFoundError": "EntityPropertyNotFoundError",
    "OptimisticLockVersionMismatchError": "OptimisticLockVersionMismatchError",
    "OptimisticLockCanNotBeUsedError": "OptimisticLockCanNotBeUsedError",
    "PessimisticLockTransactionRequiredError": "PessimisticLockTransactionRequiredError",
    "UpdateValuesMissingError": "UpdateValuesMissingError",
    "SubjectWithoutIdentifierError": "SubjectWithoutIdentifierError",
    "NoVersionOrUpdateDateColumnError": "NoVersionOrUpdateDateColumnError",
    "MissingDeleteDateColumnError": "MissingDeleteDateColumnError",
    "NestedSetMultipleRootError": "NestedSetMultipleRootError",
    "FindRelationsNotFoundError": "FindRelationsNotFoundError",
    "TransactionNotStartedError": "TransactionNotStartedError",
    "TypeORMError": "TypeORMError",
    "TypeError": "TypeError",
    # JSON.parse refusing its text (a transformer's): Python's json.loads raises
    # JSONDecodeError for the same text
    "SyntaxError": "SyntaxError",
    "Error": "Error",
    "ScenarioAbort": "ScenarioAbort",
}

#: ormshift's classes -> kind; the most specific class of an exception that is listed wins.
ORMSHIFT_KINDS: tuple[tuple[type[BaseException], str], ...] = (
    (ScenarioAbort, "ScenarioAbort"),
    (json.JSONDecodeError, "SyntaxError"),
    (orm_errors.EntityNotFound, "EntityNotFoundError"),
    (orm_errors.UnknownProperty, "EntityPropertyNotFoundError"),
    (orm_errors.OptimisticLockVersionMismatch, "OptimisticLockVersionMismatchError"),
    (orm_errors.PessimisticLockTransactionRequired, "PessimisticLockTransactionRequiredError"),
    (orm_errors.UnsupportedFindOptions, "Error"),
    (orm_errors.RelationNotJoined, "Error"),
    (orm_errors.OptimisticLockCanNotBeUsed, "OptimisticLockCanNotBeUsedError"),
    (orm_errors.UpdateValuesMissing, "UpdateValuesMissingError"),
    (orm_errors.SubjectWithoutIdentifier, "SubjectWithoutIdentifierError"),
    (orm_errors.NoVersionOrUpdateDateColumn, "NoVersionOrUpdateDateColumnError"),
    (orm_errors.MissingDeleteDateColumn, "MissingDeleteDateColumnError"),
    (orm_errors.NestedSetMultipleRoot, "NestedSetMultipleRootError"),
    (orm_errors.FindRelationsNotFound, "FindRelationsNotFoundError"),
    (orm_errors.TransactionNotStarted, "TransactionNotStartedError"),
    # find options / criteria TypeORM rejects with a plain TypeORMError
    (orm_errors.FindOptionsError, "TypeORMError"),
    # the language's own error for a value of the wrong type: what a user's listener,
    # subscriber or transformer raises on an undefined property in both (TypeORM's
    # "Cannot read properties of undefined", Python's "'NoneType' object is not ...");
    # last, so that any class above names an error of ormshift's first
    (TypeError, "TypeError"),
)


def _sql(code: Any, constraint: Any) -> str:
    return f"QueryFailedError:{code or '?'}:{constraint or ''}"


def error_kind_typeorm(error: Mapping[str, Any]) -> str:
    """The kind of an error the sidecar reported (``{name, code, ...}``)."""
    name = str(error.get("name"))
    if name == "QueryFailedError":
        return _sql(error.get("code"), error.get("constraint"))
    return TYPEORM_KINDS.get(name, f"typeorm:{name}")


def error_kind(exc: BaseException) -> str:
    """The kind of an exception ormshift raised."""
    if isinstance(exc, orm_errors.QueryFailed):
        return _sql(exc.sqlstate, exc.constraint)
    for cls, kind in ORMSHIFT_KINDS:
        if isinstance(exc, cls):
            return kind
    return f"ormshift:{type(exc).__name__}"
