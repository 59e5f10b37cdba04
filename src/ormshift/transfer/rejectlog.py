"""The reject file, made from the ledger: what a run refused is never lost.

A batch's refused rows go into ``ormshift.rejects`` in the batch's own transaction, so
they are exactly as durable as the rows it wrote. The file beside the run is a copy:
appended to after each commit (so it can be followed while the run goes), and rebuilt
whole from the ledger when a run resumes and when it ends, so that a crash between a
commit and its append, or a file deleted meanwhile, loses nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import psycopg

from ormshift.errors import OutputError
from ormshift.transfer import ledger


def rebuild(conn: psycopg.Connection, run_id: str, path: Path) -> int:
    """Write every refused row of ``run_id`` to ``path`` at once; how many.

    Nothing is created when the run refused nothing and there is no file yet."""
    if not path.exists() and not ledger.has_rejects(conn, run_id):
        return 0
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in ledger.reject_lines(conn, run_id):
                fh.write(line + "\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        if count or path.exists():
            os.replace(tmp, path)
            tmp = ""
    except OSError as exc:
        raise OutputError(f"cannot write the reject file {path}: {exc.strerror}") from exc
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    return count
