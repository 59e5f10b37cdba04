"""Compare: TypeORM and ormshift.orm side by side (sidecar, scenarios, experiments)."""

from ormshift.compare.experiment import Experiment, HarnessError, Observation, Result
from ormshift.compare.latency import LatencySummary, Recorder, percentile, summarize
from ormshift.compare.normalize import canonical, normalize_value
from ormshift.compare.runner import CompareReport, Mismatch, run_compare
from ormshift.compare.scenario import Operation, Scenario, ScenarioError, load_scenarios
from ormshift.compare.sidecar import Sidecar, SidecarError, SidecarReply

__all__ = [
    "CompareReport",
    "Experiment",
    "HarnessError",
    "LatencySummary",
    "Mismatch",
    "Observation",
    "Operation",
    "Recorder",
    "Result",
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
