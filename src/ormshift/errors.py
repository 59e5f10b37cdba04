"""One exception hierarchy for everything a user can cause.

Every message says what was wrong and what to do; the CLI prints it as one line.
Driver and subprocess errors are wrapped with ``raise ... from exc`` and never leak.
"""

from __future__ import annotations


class OrmshiftError(Exception):
    """Base of every error ormshift raises on purpose."""

    exit_code = 2


class ManifestError(OrmshiftError):
    """A manifest file is unreadable, of an unknown version, or inconsistent."""


class ExtractError(OrmshiftError):
    """The TypeORM project could not be turned into a manifest."""


class ToolMissingError(ExtractError):
    """node, npm or the bridge's packages are not installed."""


class ConnectionFailed(OrmshiftError):
    """A database could not be reached or refused the credentials."""


class InvalidURL(ConnectionFailed):
    """A database URL that is malformed, or names an engine the command does not take."""


class OutputError(OrmshiftError):
    """An output file or directory cannot be written."""


class CodegenError(OrmshiftError):
    """The generated models do not import or configure (a bug to report)."""
