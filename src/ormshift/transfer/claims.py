"""The units of a shared run, claimed by any number of worker processes on any hosts.

A shared run (``--workers 2`` or more, and every process that joins it with ``--join``)
cuts its work into *units*: a table, or one key range of a large table. A worker
claims a unit with a session-level advisory lock on the target connection that writes
the unit's batches: a lease that lives exactly as long as that connection, so a worker
that dies (kill -9, a lost host once TCP keepalives give up) releases its unit with its
connection and open transaction, and another worker takes the unit over from its last
ledger row. ``pg_try_advisory_lock`` is the non-waiting claim (what ``FOR UPDATE SKIP
LOCKED`` gives a row, without holding a transaction open for the whole unit).

A unit is *done* once its range is read to the end; the marker is a row of
``ormshift.units``, written after the unit's last batch committed. A worker that dies
between the two leaves the unit undone: the next claimer reads on from the last batch,
finds nothing more and writes the marker. Each batch stays one transaction with its
ledger row, so a unit taken over is never written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import psycopg

from ormshift.transfer.ledger import RunStatus

#: lease a unit unless another session holds it: (leased, done already, the run's status)
_CLAIM = """
select l.leased,
       l.leased and exists (select 1 from ormshift.units u
                            where u.run_id = %(run)s and u.table_name = %(table)s
                              and u.part = %(part)s),
       (select status from ormshift.runs where run_id = %(run)s)
from (select pg_try_advisory_lock(hashtext('ormshift.unit'), hashtext(%(key)s)) as leased) l
"""
#: the unit is read to its end: its marker, and the lease given up, in one statement
_DONE = """
with marked as (
    insert into ormshift.units (run_id, table_name, part) values (%(run)s, %(table)s, %(part)s)
    on conflict do nothing
)
select pg_advisory_unlock(hashtext('ormshift.unit'), hashtext(%(key)s))
"""
_FREE = "select pg_advisory_unlock(hashtext('ormshift.unit'), hashtext(%(key)s))"


def join_run(conn: psycopg.Connection, run_id: str) -> bool:
    """Hold the run's worker lock in shared mode on ``conn``, as every process working
    on the run does while it works; False while a rollback of the run holds it."""
    row = conn.execute(
        "select pg_try_advisory_lock_shared(hashtext('ormshift.work'), hashtext(%s))", [run_id]
    ).fetchone()
    return bool(row and row[0])


def no_workers(conn: psycopg.Connection, run_id: str) -> bool:
    """Hold the run's worker lock exclusively on ``conn`` (a rollback does): False while
    any process works on the run, on any host."""
    row = conn.execute(
        "select pg_try_advisory_lock(hashtext('ormshift.work'), hashtext(%s))", [run_id]
    ).fetchone()
    return bool(row and row[0])


class RunStopped(Exception):
    """The run is no longer running: another worker (or a user) stopped it."""

    def __init__(self, status: RunStatus | None) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Unit:
    table: str
    part: int


class Claims:
    """The leases of one target connection on the units of one run."""

    def __init__(self, conn: psycopg.Connection, run_id: str) -> None:
        self.conn = conn
        self.run_id = run_id

    def _params(self, unit: Unit) -> dict[str, object]:
        key = f"{self.run_id}\x1f{unit.table}\x1f{unit.part}"
        return {"run": self.run_id, "table": unit.table, "part": unit.part, "key": key}

    def done(self) -> set[Unit]:
        rows = self.conn.execute(
            "select table_name, part from ormshift.units where run_id = %s", [self.run_id]
        ).fetchall()
        return {Unit(str(t), int(p)) for t, p in rows}

    def claim(self, units: Sequence[Unit], known_done: set[Unit]) -> Unit | Literal["wait", "done"]:
        """Lease the first unit of ``units`` that is neither done nor leased by another
        session: the unit (leased on this connection until `finish` or `release`),
        "wait" when every unit not done is leased elsewhere, "done" when all are done.
        ``known_done`` (units seen done) is brought up to date. `RunStopped` when the
        run is no longer running."""
        for unit in units:
            if unit in known_done:
                continue
            row = self.conn.execute(_CLAIM, self._params(unit)).fetchone()
            assert row is not None
            leased, done, status = row
            if status != RunStatus.RUNNING:
                if leased:
                    self.release(unit)
                raise RunStopped(None if status is None else RunStatus(status))
            if not leased:
                continue
            if done:  # its last holder finished it since we last looked
                self.release(unit)
                known_done.add(unit)
                continue
            return unit
        known_done |= self.done()
        return "done" if all(u in known_done for u in units) else "wait"

    def finish(self, unit: Unit) -> None:
        """``unit`` is read to its end: marked done (idempotent) and released."""
        self.conn.execute(_DONE, self._params(unit))

    def release(self, unit: Unit) -> None:
        if not self.conn.closed and not self.conn.broken:
            self.conn.execute(_FREE, self._params(unit))

    def running(self) -> None:
        """`RunStopped` unless the run is still running."""
        row = self.conn.execute(
            "select status from ormshift.runs where run_id = %s", [self.run_id]
        ).fetchone()
        if row is None or row[0] != RunStatus.RUNNING:
            raise RunStopped(None if row is None else RunStatus(row[0]))
