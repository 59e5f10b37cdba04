"""The differential fuzzer: random operation sequences over a project's whole entity
graph, through TypeORM and through `ormshift.orm` on identically seeded databases; each
divergence class shrunk to a minimal scenario file that reproduces it.

```python
from ormshift.compare.fuzz import fuzz
report = fuzz(Path("my-typeorm-app"), "postgresql://...", operations=2000, seed=1)
for cls, count in report.classes.items(): print(count, cls)
```

A divergence the documentation explains (`known.KnownRules`, decided from the
manifest; `unordered`, decided by running the sequence again with its finds ordered) is
counted apart, in ``report.known`` with its reference, not as a divergence.
"""

from __future__ import annotations

import random
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ormshift.compare.diff import hidden_columns
from ormshift.compare.faces import face_named
from ormshift.compare.fuzz.execute import Divergence, Executor
from ormshift.compare.fuzz.generate import Generator
from ormshift.compare.fuzz.known import KnownRules
from ormshift.compare.fuzz.qb_generate import QbGenerator
from ormshift.compare.fuzz.schema import FuzzSchema
from ormshift.compare.fuzz.seed import build_seed
from ormshift.compare.fuzz.shrink import shrink
from ormshift.compare.fuzz.unordered import UNORDERED, order_note, primary_orders
from ormshift.compare.sidecar import Sidecar
from ormshift.compare.state import state_query, table_specs
from ormshift.dsn import connect
from ormshift.manifest import Manifest

__all__ = ["Finding", "FuzzReport", "fuzz", "generate_operations", "scenario_yaml"]


@dataclass(frozen=True)
class Finding:
    """The first divergence of one class, shrunk."""

    signature: str
    kind: str
    operations: list[dict[str, Any]]
    original_length: int
    typeorm: Any
    ormshift: Any
    file: Path | None = None
    #: where the documentation explains it, for a known difference
    known: str | None = None


@dataclass
class FuzzReport:
    operations: int = 0
    sequences: int = 0
    seconds: float = 0.0
    classes: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    seed_rows: int = 0
    #: documented differences (`known.KnownRules`), by class; not divergences
    known: Counter[str] = field(default_factory=Counter)
    #: class -> where the documentation explains it
    known_notes: dict[str, str] = field(default_factory=dict)
    #: the face of `ormshift.orm` ormshift's side ran (``sync`` or ``async``)
    face: str = "sync"

    @property
    def divergences(self) -> int:
        return sum(self.classes.values())

    @property
    def known_differences(self) -> int:
        return sum(self.known.values())

    @property
    def ops_per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The run as ``ormshift compare --fuzz N --json`` prints it."""
        return {
            "face": self.face,
            "operations": self.operations,
            "sequences": self.sequences,
            "ops_per_second": self.ops_per_second,
            "divergences": self.divergences,
            "classes": dict(self.classes.most_common()),
            "known_differences": self.known_differences,
            "known": {
                sig: {"count": n, "documented": self.known_notes.get(sig)}
                for sig, n in self.known.most_common()
            },
            "scenarios": {f.signature: str(f.file) for f in self.findings},
        }


def _volatile(schema: FuzzSchema) -> tuple[frozenset[str], frozenset[str]]:
    props = [p for ent in schema.entities.values() for p in ent.props if p.volatile]
    return frozenset(p.attr for p in props), frozenset(p.column.name for p in props)


def generate_operations(
    manifest: Manifest,
    rows: dict[str, list[dict[str, Any]]],
    seed: int,
    count: int,
    k: int,
    *,
    query_builder: bool = False,
) -> list[list[dict[str, Any]]]:
    """The sequences the fuzzer runs for ``seed`` (the same seed, the same sequences);
    ``query_builder``: query-builder chains (`qb_generate`) instead."""
    base = Generator(FuzzSchema.of(manifest), rows, random.Random(f"ops:{seed}"))
    gen: Generator | QbGenerator = QbGenerator(base) if query_builder else base
    out: list[list[dict[str, Any]]] = []
    made = 0
    while made < count:
        out.append(gen.sequence(min(k, count - made)))
        made += len(out[-1])
    return out


def scenario_yaml(
    finding: Finding, seed_sql: list[str], volatile: frozenset[str], models: str | None, note: str
) -> str:
    """A scenario file that reproduces ``finding`` with ``ormshift compare --scenario``."""
    head = [
        f"# {finding.signature}",
        f"# {note}",
        f"# shrunk from {finding.original_length} to {len(finding.operations)} operation(s)",
    ]
    if models is None:
        head.append("# models: the package `ormshift generate` writes for this project (--models)")
    data: dict[str, Any] = {}
    if models:
        data["models"] = models
    data["volatile"] = sorted(volatile)
    data["seed"] = seed_sql
    data["scenarios"] = [{"name": finding.signature, "operations": finding.operations}]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)
    return "\n".join(head) + "\n" + body


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def fuzz(
    project: Path,
    dsn: str,
    *,
    operations: int,
    seed: int = 1,
    ops_per_scenario: int = 20,
    models: str | None = None,
    data_source: Path | None = None,
    out_dir: Path | None = None,
    rows_per_table: int = 5,
    shrink_runs: int = 60,
    on_sequence: Callable[[FuzzReport], None] | None = None,
    manifest: Manifest | None = None,
    known: frozenset[str] = frozenset(),
    query_builder: bool = False,
    face: str = "sync",
) -> FuzzReport:
    """Fuzz ``project`` for ``operations`` operations; divergences by class, shrunk.
    ormshift's side runs through the ``face`` of `ormshift.orm` (``sync``, ``async``).

    Classes in ``known`` (signatures of an earlier run) are counted but not shrunk."""
    candidate = face_named(face)
    from ormshift.compare.models import generated_models  # noqa: PLC0415
    from ormshift.compare.runner import (  # noqa: PLC0415
        _Databases,
        load_models,
        load_subscribers,
    )
    from ormshift.extract.typeorm import extract_project  # noqa: PLC0415

    if manifest is None:
        manifest = extract_project(project, data_source=data_source)
    scratch = tempfile.TemporaryDirectory(prefix="ormshift-fuzz-")
    subscribers: tuple[Any, ...] = ()
    if models is not None:
        classes = load_models(models)
        # the module's SUBSCRIBERS, as `run_compare` gives them: without them ormshift's
        # side logs no events and every write of a project with subscribers diverges
        subscribers = load_subscribers(models)
    else:
        _, classes = generated_models(manifest, Path(scratch.name))
    schema = FuzzSchema.of(manifest)
    vol_attrs, vol_cols = _volatile(schema)
    if query_builder:
        # write chains set update dates on each side's clock: raw rows name them
        # alias_column (the root ``e`` and joins ``j1``..``j3``)
        vol_attrs |= {f"{a}_{c}" for a in ("e", "j1", "j2", "j3") for c in vol_cols}
        # and a where_entity write returns the update date under its column's name
        vol_attrs |= vol_cols
    report = FuzzReport(face=candidate.name)
    rules = KnownRules.of(manifest)
    orders = primary_orders(schema)
    dbs = _Databases(dsn, project, data_source, classes)
    try:
        with connect(dbs.url("template"), autocommit=False) as conn:
            seeded = build_seed(conn, schema, random.Random(f"seed:{seed}"), rows_per_table)
            specs = table_specs(conn)
        report.seed_rows = sum(len(r) for r in seeded.rows.values())
        state = state_query(specs, vol_cols)
        sequences = generate_operations(
            manifest, seeded.rows, seed, operations, ops_per_scenario, query_builder=query_builder
        )
        with (
            Sidecar(project, dbs.url("typeorm"), data_source=data_source) as sidecar,
            candidate.open(dbs.url("ormshift"), subscribers) as ds,
        ):
            described = sidecar.request({"op": "describe"})
            hidden = hidden_columns(described.result if described.ok else {})
            executor = Executor(
                sidecar,
                ds,
                classes,
                (dbs.url("typeorm"), dbs.url("ormshift")),
                seeded.statements,
                state,
                hidden,
                vol_attrs,
                candidate,
            )
            try:
                for ops in sequences:
                    found_all = executor.run(ops)
                    report.sequences += 1
                    report.operations = executor.ops_run
                    report.seconds = executor.seconds
                    # a sequence whose divergences all go once its finds are ordered
                    unordered = bool(found_all) and order_note(executor, ops, found_all, orders)
                    for found in found_all:
                        step = [d for d in found_all if d.index == found.index]
                        note = rules.note(found, step, ops[found.index])
                        if note is None and unordered:
                            note = UNORDERED
                        counter = report.classes if note is None else report.known
                        counter[found.signature] += 1
                        if counter[found.signature] > 1:
                            continue
                        if note is not None:
                            report.known_notes[found.signature] = note
                        skip = note is not None or found.signature in known
                        runs = 0 if skip else shrink_runs
                        report.findings.append(_shrunk(executor, ops, found, runs, note))
                    if on_sequence is not None:
                        on_sequence(report)
                # shrinking runs are not the fuzzed operations
            finally:
                executor.close()
    finally:
        dbs.drop()
        scratch.cleanup()
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        note = f"found by: ormshift compare --fuzz {operations} --seed {seed} --project {project}"
        written = []
        for i, f in enumerate(report.findings, 1):
            name = ("known-" if f.known else "") + _slug(f.signature)
            path = out_dir / f"{i:03d}-{name}.yaml"
            told = note if f.known is None else f"{note}\n# known difference: {f.known}"
            path.write_text(scenario_yaml(f, seeded.statements, vol_attrs | vol_cols, models, told))
            written.append(
                Finding(
                    f.signature,
                    f.kind,
                    f.operations,
                    f.original_length,
                    f.typeorm,
                    f.ormshift,
                    path,
                    f.known,
                )
            )
        report.findings = written
    return report


def _shrunk(
    executor: Executor,
    ops: list[dict[str, Any]],
    found: Divergence,
    runs: int,
    known: str | None = None,
) -> Finding:
    ops_run, seconds = executor.ops_run, executor.seconds
    prefix = ops[: found.index + 1]

    def same(candidate: list[dict[str, Any]]) -> Divergence | None:
        return next((d for d in executor.run(candidate) if d.signature == found.signature), None)

    if runs <= 0:
        return Finding(
            found.signature,
            found.kind,
            prefix,
            len(prefix),
            found.typeorm,
            found.ormshift,
            known=known,
        )
    small = shrink(prefix, lambda c: same(c) is not None, max_runs=runs)
    final = same(small) or found
    executor.ops_run, executor.seconds = ops_run, seconds
    return Finding(found.signature, found.kind, small, len(prefix), final.typeorm, final.ormshift)
