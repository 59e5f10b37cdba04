"""`Experiment`, after GitHub's scientist: run a control and candidates, compare, publish.

The caller always gets the control's result (or its exception). Candidates run in a
shuffled order with the control; each run is a frozen `Observation` with monotonic wall
time and the thread's CPU time. Anything that fails inside the harness (a candidate, a
comparator, a cleaner, a publisher) is recorded in `Experiment.harness_errors` and
never reaches the caller.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Experiment", "HarnessError", "Observation", "Result"]

T = TypeVar("T")


@dataclass(frozen=True)
class Observation:
    """One behaviour's run: its value or exception, and what it cost."""

    name: str
    value: Any
    exception: BaseException | None
    wall_seconds: float
    cpu_seconds: float
    cleaned: Any = None

    @property
    def raised(self) -> bool:
        return self.exception is not None


@dataclass(frozen=True)
class Result:
    """What one run of an experiment found; handed to the publisher."""

    experiment: str
    context: Mapping[str, Any]
    control: Observation
    candidates: tuple[Observation, ...]
    mismatched: tuple[Observation, ...]
    ignored: tuple[Observation, ...]
    order: tuple[str, ...]

    @property
    def matched(self) -> bool:
        return not self.mismatched


@dataclass(frozen=True)
class HarnessError:
    """A failure inside the experiment machinery (not in the control)."""

    operation: str  # "candidate", "compare", "clean", "ignore", "run_if", "publish"
    exception: BaseException


def _observe(name: str, behaviour: Callable[[], Any]) -> Observation:
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    value: Any = None
    error: BaseException | None = None
    try:
        value = behaviour()
    except Exception as exc:
        error = exc
    return Observation(name, value, error, time.perf_counter() - wall0, time.thread_time() - cpu0)


def _default_compare(control: Any, candidate: Any) -> bool:
    return bool(control == candidate)


@dataclass
class Experiment(Generic[T]):
    """``Experiment("find-posts").use(old).candidate(new).run()``: ``old()``'s result."""

    name: str
    publisher: Callable[[Result], None] | None = None
    rng: random.Random = field(default_factory=random.Random)
    _control: Callable[[], T] | None = None
    _candidates: dict[str, Callable[[], Any]] = field(default_factory=dict)
    _compare: Callable[[Any, Any], bool] = _default_compare
    _clean: Callable[[Any], Any] | None = None
    _ignores: list[Callable[[Observation, Observation], bool]] = field(default_factory=list)
    _context: dict[str, Any] = field(default_factory=dict)
    _run_if: Callable[[], bool] | None = None
    harness_errors: list[HarnessError] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, control: Callable[[], T]) -> Experiment[T]:
        self._control = control
        return self

    def candidate(self, behaviour: Callable[[], Any], name: str = "candidate") -> Experiment[T]:
        if name == "control" or name in self._candidates:
            raise ValueError(f"experiment {self.name!r} already has a behaviour named {name!r}")
        self._candidates[name] = behaviour
        return self

    def compare(self, comparator: Callable[[Any, Any], bool]) -> Experiment[T]:
        """How to tell values apart (default ``==``); gets cleaned values when `clean` is set."""
        self._compare = comparator
        return self

    def clean(self, cleaner: Callable[[Any], Any]) -> Experiment[T]:
        """Turn values into what is compared and published (e.g. entities into records)."""
        self._clean = cleaner
        return self

    def ignore(self, rule: Callable[[Observation, Observation], bool]) -> Experiment[T]:
        """A mismatch for which ``rule(control, candidate)`` is true is ignored."""
        self._ignores.append(rule)
        return self

    def context(self, **values: Any) -> Experiment[T]:
        self._context.update(values)
        return self

    def run_if(self, gate: Callable[[], bool]) -> Experiment[T]:
        """Run candidates only when ``gate()`` is true (the control always runs)."""
        self._run_if = gate
        return self

    def publish(self, publisher: Callable[[Result], None]) -> Experiment[T]:
        self.publisher = publisher
        return self

    def _harness(self, operation: str, exc: BaseException) -> None:
        with self._lock:
            self.harness_errors.append(HarnessError(operation, exc))

    def _enabled(self) -> bool:
        if not self._candidates:
            return False
        if self._run_if is None:
            return True
        try:
            return bool(self._run_if())
        except Exception as exc:
            self._harness("run_if", exc)
            return False

    def _cleaned(self, obs: Observation) -> Observation:
        if self._clean is None or obs.raised:
            return obs
        try:
            cleaned = self._clean(obs.value)
        except Exception as exc:
            self._harness("clean", exc)
            return obs
        return Observation(
            obs.name, obs.value, obs.exception, obs.wall_seconds, obs.cpu_seconds, cleaned
        )

    def _matches(self, control: Observation, candidate: Observation) -> bool:
        if control.raised or candidate.raised:
            return (
                control.raised
                and candidate.raised
                and type(control.exception) is type(candidate.exception)
                and str(control.exception) == str(candidate.exception)
            )
        a = control.cleaned if self._clean is not None else control.value
        b = candidate.cleaned if self._clean is not None else candidate.value
        try:
            return bool(self._compare(a, b))
        except Exception as exc:
            self._harness("compare", exc)
            return False

    def _ignored(self, control: Observation, candidate: Observation) -> bool:
        for rule in self._ignores:
            try:
                if rule(control, candidate):
                    return True
            except Exception as exc:
                self._harness("ignore", exc)
        return False

    def run(self) -> T:
        """Run the control (and, when enabled, the candidates); the control's outcome."""
        if self._control is None:
            raise ValueError(f"experiment {self.name!r} has no control: call use() first")
        control_fn = self._control
        if not self._enabled():
            return control_fn()
        behaviours: list[tuple[str, Callable[[], Any]]] = [
            ("control", control_fn),
            *self._candidates.items(),
        ]
        self.rng.shuffle(behaviours)
        observations = {name: _observe(name, fn) for name, fn in behaviours}
        control = observations["control"]
        try:
            self._publish(control, observations, tuple(name for name, _ in behaviours))
        except Exception as exc:
            self._harness("publish", exc)
        if control.exception is not None:
            raise control.exception
        return control.value  # type: ignore[no-any-return]

    def _publish(
        self, control: Observation, observations: dict[str, Observation], order: tuple[str, ...]
    ) -> None:
        control = self._cleaned(control)
        candidates = tuple(self._cleaned(o) for n, o in observations.items() if n != "control")
        mismatched: list[Observation] = []
        ignored: list[Observation] = []
        for cand in candidates:
            if cand.raised and not control.raised:
                self._harness("candidate", cand.exception)  # type: ignore[arg-type]
            if self._matches(control, cand):
                continue
            (ignored if self._ignored(control, cand) else mismatched).append(cand)
        result = Result(
            self.name,
            dict(self._context),
            control,
            candidates,
            tuple(mismatched),
            tuple(ignored),
            order,
        )
        if self.publisher is not None:
            try:
                self.publisher(result)
            except Exception as exc:
                self._harness("publish", exc)
