"""What a probe returns: named readings, kept apart as gauges and counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["gauge", "counter"]


@dataclass(frozen=True)
class Sample:
    """One reading. ``name`` is the metric's name without the ``ormshift_`` namespace;
    counters only ever grow (their names end in ``_total``), gauges are instantaneous."""

    name: str
    value: float
    kind: Kind = "gauge"
    help: str = ""
    labels: tuple[tuple[str, str], ...] = field(default=())

    @property
    def key(self) -> str:
        if not self.labels:
            return self.name
        inner = ",".join(f"{k}={v}" for k, v in self.labels)
        return f"{self.name}{{{inner}}}"
