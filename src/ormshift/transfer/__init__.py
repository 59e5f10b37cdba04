"""Transfer: move the data from source to target in keyset batches with a ledger.

* `plan` reflects both ends, applies a `ormshift.mapping` (renames, TypeORM's
  simple-json/simple-array, casts, expressions, skipped columns), checks every column
  against the target and orders tables parents first (cycles refused, or their foreign
  keys deferred on request); `preflight` checks rights, extensions and disk; `create`
  builds missing target tables from the source (--create-schema);
* each batch is a key range ``(lo, hi]`` (keyset, never OFFSET pagination): the next
  ``n`` rows after ``lo``, their count and upper key read off the COPY stream itself
  (`lastkey`; other key types ask `keyset` for the bound), streamed by `copy` through
  `copyout` (binary COPY when the types agree, text otherwise; MySQL through `mysql`),
  the next batch already running on the source (`lookahead`), and committed in one
  target transaction with its `ledger` row; `workers` runs independent tables and key
  ranges of large tables side by side (--workers);
* a refused batch is bisected by `rejects`; `throttle` (over `ormshift.monitor`) pauses
  or aborts between batches; `constraints` drops foreign keys and indexes for the load
  and adds them back; `rollback` deletes by the ledger's key ranges and restores
  `sequences`.
"""

from ormshift.transfer.engine import Event, MigrateOptions, dry_run, migrate, new_run_id
from ormshift.transfer.errors import PreflightError, RunNotFound, TransferAborted, TransferError
from ormshift.transfer.ledger import LedgerVersionError, RunStatus
from ormshift.transfer.plan import Plan, TablePlan, build_plan, dependency_order
from ormshift.transfer.report import RunReport, TableStats
from ormshift.transfer.rollback import RollbackReport, rollback
from ormshift.transfer.throttle import Health, ThrottleSettings

__all__ = [
    "Event",
    "Health",
    "LedgerVersionError",
    "MigrateOptions",
    "Plan",
    "PreflightError",
    "RollbackReport",
    "RunNotFound",
    "RunReport",
    "RunStatus",
    "TablePlan",
    "TableStats",
    "ThrottleSettings",
    "TransferAborted",
    "TransferError",
    "build_plan",
    "dependency_order",
    "dry_run",
    "migrate",
    "new_run_id",
    "rollback",
]
