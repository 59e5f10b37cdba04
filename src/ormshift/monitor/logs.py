"""Logging: one logger per package under ``ormshift``, readable or JSON lines, the run
id on every line, and passwords redacted from everything that is logged."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any, TextIO

from ormshift.dsn import redact

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)


def bind_run_id(run_id: str | None) -> None:
    """Stamp ``run_id`` on every log line from now on (in this context)."""
    _RUN_ID.set(run_id)


class RedactingFilter(logging.Filter):
    """Formats the message once, redacts it, and stamps the run id."""

    def __init__(self, run_id: str | None) -> None:
        super().__init__()
        self.run_id = run_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        run_id = self.run_id or _RUN_ID.get()
        if run_id is not None and not hasattr(record, "run_id"):
            record.run_id = run_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return redact(json.dumps(data, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        run = getattr(record, "run_id", None)
        prefix = f"[{run}] " if run else ""
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname.lower():7s} {record.name}: {prefix}{record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return redact(line)


def setup_logging(
    *,
    json_lines: bool = False,
    level: int = logging.INFO,
    run_id: str | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Install one handler on the ``ormshift`` logger (replacing an earlier one)."""
    root = logging.getLogger("ormshift")
    for old in [h for h in root.handlers if getattr(h, "_ormshift", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._ormshift = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(run_id))
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    return handler
