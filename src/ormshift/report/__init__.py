"""Reports: a versioned JSON shape every working command writes, and an HTML page."""

from ormshift.report.html import render
from ormshift.report.model import (
    REPORT_VERSION,
    DifferenceRow,
    LatencySamples,
    Report,
    ReportError,
    Series,
    SummaryTable,
    dumps,
    latency,
    read,
    series,
    table,
    write,
)

__all__ = [
    "REPORT_VERSION",
    "DifferenceRow",
    "LatencySamples",
    "Report",
    "ReportError",
    "Series",
    "SummaryTable",
    "dumps",
    "latency",
    "read",
    "render",
    "series",
    "table",
    "write",
]
