"""Alerts: a log line always; a webhook optionally, retried with backoff on a background
thread so that it never blocks the run it reports on."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass

from ormshift.dsn import redact
from ormshift.monitor.thresholds import Level

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alert:
    metric: str
    level: str
    previous: str
    value: float
    message: str
    at: float


def log_alert(alert: Alert) -> None:
    severity = {"ok": logging.INFO, "warn": logging.WARNING}.get(alert.level, logging.ERROR)
    log.log(severity, "%s", alert.message, extra={"alert": asdict(alert)})


class WebhookSink:
    """POSTs each alert as JSON; retries with exponential backoff; drops (and logs) what
    it cannot deliver. ``send`` only enqueues."""

    def __init__(
        self, url: str, *, retries: int = 4, backoff: float = 0.5, timeout: float = 5.0
    ) -> None:
        self.url = url
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.delivered = 0
        self.failed = 0
        self.attempts = 0
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=1000)
        self._thread = threading.Thread(target=self._run, name="ormshift-webhook", daemon=True)
        self._thread.start()

    def send(self, alert: Alert) -> None:
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.failed += 1
            log.error("webhook queue full; alert dropped: %s", alert.message)

    def _post(self, alert: Alert) -> None:
        body = json.dumps(asdict(alert)).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the user's webhook
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            response.read()

    def _run(self) -> None:
        while True:
            alert = self._queue.get()
            if alert is None:
                self._queue.task_done()
                return
            delay = self.backoff
            for attempt in range(1, self.retries + 1):
                self.attempts += 1
                try:
                    self._post(alert)
                    self.delivered += 1
                    break
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    if attempt == self.retries:
                        self.failed += 1
                        log.error(
                            "webhook %s unreachable after %d tries (%s); alert dropped",
                            redact(self.url),
                            attempt,
                            exc.__class__.__name__,
                        )
                    else:
                        time.sleep(delay)
                        delay *= 2
            self._queue.task_done()

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (within ``timeout``), then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)


def alert_for(metric: str, value: float, level: Level, previous: Level) -> Alert:
    if level > previous:
        message = f"{metric} = {value:g}: {level.label}"
    else:
        message = f"{metric} = {value:g}: back to {level.label} from {previous.label}"
    return Alert(metric, level.label, previous.label, value, message, time.time())
