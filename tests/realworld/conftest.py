"""The real-world suite: slower, run as its own step (``scripts/test-realworld``; the main
test command does not collect this folder). Each test is marked ``realworld``; the
figures of each app (elements compared, time taken) are printed at the end."""

from __future__ import annotations

import pytest

#: one line per app, filled by the tests, printed in the terminal summary
FIGURES: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/realworld/" in item.nodeid:
            item.add_marker(pytest.mark.realworld)
            item.add_marker(pytest.mark.node)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("real-world apps")
        for line in FIGURES:
            terminalreporter.write_line(line)
