"""Errors of the transfer engine; each says what was wrong and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg

from ormshift.errors import OrmshiftError

if TYPE_CHECKING:
    from ormshift.transfer.report import RunReport


#: Errors that belong to the rows of a batch, not to the connection or the schema.
ROW_ERRORS: tuple[type[psycopg.Error], ...] = (psycopg.DataError, psycopg.IntegrityError)


class TransferError(OrmshiftError):
    """Data could not be moved. ``report``: what the run had done when it stopped, if known."""

    report: RunReport | None = None


class PreflightError(TransferError):
    """A check before the first row moves failed; nothing was written."""


class RunNotFound(TransferError):
    """A run id that the target's ledger does not know."""


class TransferAborted(TransferError):
    """The run stopped on purpose (critical health, too many rejects); it can be resumed."""

    exit_code = 3
