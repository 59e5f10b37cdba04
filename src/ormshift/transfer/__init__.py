"""Transfer: move the data from source to target in keyset batches with a ledger.

* `plan` reflects both ends, checks every source column against the target and orders
  tables parents first (cycles refused, or their foreign keys deferred on request);
* each batch is a key range ``(lo, hi]`` found by `keyset` (never OFFSET), streamed by
  `copy` (binary COPY when the types agree, text otherwise; MySQL through `mysql`) and
  committed in one target transaction with its `ledger` row;
* a refused batch is bisected by `rejects`; `throttle` pauses or aborts between
  batches; `rollback` deletes by the ledger's key ranges and restores `sequences`.
"""

from ormshift.transfer.engine import Event, MigrateOptions, dry_run, migrate, new_run_id
from ormshift.transfer.errors import PreflightError, RunNotFound, TransferAborted, TransferError
from ormshift.transfer.plan import Plan, TablePlan, build_plan, dependency_order
from ormshift.transfer.report import RunReport, TableStats
from ormshift.transfer.rollback import RollbackReport, rollback
from ormshift.transfer.throttle import (
    ConnectionsProbe,
    FlagFileProbe,
    HostProbe,
    Probe,
    Reading,
    Throttle,
    ThrottleSettings,
)

__all__ = [
    "ConnectionsProbe",
    "Event",
    "FlagFileProbe",
    "HostProbe",
    "MigrateOptions",
    "Plan",
    "PreflightError",
    "Probe",
    "Reading",
    "RollbackReport",
    "RunNotFound",
    "RunReport",
    "TablePlan",
    "TableStats",
    "Throttle",
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
