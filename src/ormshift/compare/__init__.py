"""Compare: TypeORM and ormshift.orm side by side (sidecar, scenarios, the fuzzer).

`Experiment`, which runs in a ported application, is `ormshift.experiment`: apart
from this harness, which needs Node, the bridge and PyYAML."""

from ormshift.compare.latency import LatencySummary, Recorder, percentile, summarize
from ormshift.compare.normalize import canonical, normalize_value
from ormshift.compare.runner import CompareReport, Mismatch, run_compare
from ormshift.compare.scenario import Operation, Scenario, ScenarioError, load_scenarios
from ormshift.compare.sidecar import Sidecar, SidecarError, SidecarReply

__all__ = [
    "CompareReport",
    "LatencySummary",
    "Mismatch",
    "Operation",
    "Recorder",
    "Scenario",
    "ScenarioError",
    "Sidecar",
    "SidecarError",
    "SidecarReply",
    "canonical",
    "load_scenarios",
    "normalize_value",
    "percentile",
    "run_compare",
    "summarize",
]
