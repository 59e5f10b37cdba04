"""``ormshift compare``: each scenario on two identically seeded databases, one through
TypeORM (the sidecar), one through `ormshift.orm`; results, errors and the database
state after every write diffed; latency recorded for both sides.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ormshift.compare.candidate import Hidden, run_operation
from ormshift.compare.diff import (
    diff_outcomes,
    hidden_columns,
    ormshift_outcome,
    typeorm_outcome,
)
from ormshift.compare.errors import error_kind, error_kind_typeorm
from ormshift.compare.faces import Face, face_named
from ormshift.compare.latency import LatencySummary, Recorder
from ormshift.compare.normalize import canonical
from ormshift.compare.scenario import (
    Operation,
    Scenario,
    ScenarioError,
    ScenarioFile,
    load_scenarios,
)
from ormshift.compare.sidecar import Sidecar
from ormshift.compare.state import snapshot, table_specs
from ormshift.dsn import connect, with_database
from ormshift.extract.typeorm import sync_project
from ormshift.orm.metadata import entity_info

__all__ = [
    "CompareReport",
    "Mismatch",
    "error_kind",
    "error_kind_typeorm",
    "load_models",
    "load_subscribers",
    "reset",
    "run_compare",
]


@dataclass(frozen=True)
class Mismatch:
    scenario: str
    index: int
    label: str
    kind: str  # "result" | "error" | "state"
    typeorm: Any
    ormshift: Any
    #: the scenario marks this step as a known divergence: its note (names the class)
    known: str | None = None


@dataclass(frozen=True)
class CompareReport:
    scenarios: int
    operations: int
    mismatches: tuple[Mismatch, ...]
    latency: dict[str, dict[str, LatencySummary]] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    #: the face of `ormshift.orm` the candidate side ran (``sync`` or ``async``)
    face: str = "sync"

    def count(self, kind: str) -> int:
        """Unexpected mismatches of ``kind`` (known divergences are counted apart)."""
        return sum(1 for m in self.mismatches if m.kind == kind and m.known is None)

    @property
    def known(self) -> tuple[Mismatch, ...]:
        """Mismatches at steps the scenario marks as known divergences."""
        return tuple(m for m in self.mismatches if m.known is not None)

    @property
    def unexpected(self) -> tuple[Mismatch, ...]:
        return tuple(m for m in self.mismatches if m.known is None)

    @property
    def ok(self) -> bool:
        return not self.unexpected


def load_models(spec: str) -> dict[str, type[Any]]:
    """Mapped classes by name from a module (``pkg.models``) or a file (``models.py``)."""
    if spec.endswith(".py"):
        path = Path(spec).resolve()
        if not path.is_file():
            raise ScenarioError(
                f"--models {spec}: no such file; give a .py file or an importable module"
            )
        mod_spec = importlib.util.spec_from_file_location(f"ormshift_models_{path.stem}", path)
        if mod_spec is None or mod_spec.loader is None:
            raise ScenarioError(f"cannot load models from {spec}")
        module = importlib.util.module_from_spec(mod_spec)
        sys.modules[mod_spec.name] = module
        try:
            mod_spec.loader.exec_module(module)
        except Exception as exc:  # the user's own code: whatever it raises is one line
            raise ScenarioError(f"cannot load models from {spec}: {_why(exc)}") from exc
    else:
        if str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        try:
            module = importlib.import_module(spec)
        except ImportError as exc:
            raise ScenarioError(f"cannot import models module {spec!r}: {exc}") from exc
        except Exception as exc:  # the user's own code: whatever it raises is one line
            raise ScenarioError(f"cannot import models module {spec!r}: {_why(exc)}") from exc
    found = getattr(module, "ENTITIES", None)
    if isinstance(found, Mapping):
        return dict(found)
    models = {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and hasattr(value, "__mapper__") and hasattr(value, "__table__")
    }
    if not models:
        raise ScenarioError(
            f"{spec} defines no SQLAlchemy mapped classes (nor an ENTITIES mapping); "
            "give the models `ormshift generate` wrote"
        )
    return models


def load_subscribers(spec: str) -> tuple[Any, ...]:
    """The ``SUBSCRIBERS`` a models module names (TypeORM's DataSource ``subscribers``,
    in order), none if it names none; `load_models` has loaded the module."""
    if spec.endswith(".py"):
        module = sys.modules.get(f"ormshift_models_{Path(spec).resolve().stem}")
    else:
        module = sys.modules.get(spec)
    found = getattr(module, "SUBSCRIBERS", ())
    if not isinstance(found, list | tuple):
        raise ScenarioError(f"{spec}: SUBSCRIBERS is not a list of subscriber objects")
    return tuple(found)


def _why(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    return f"{type(exc).__name__}: {exc}"


class _Databases:
    """A template with the project's schema, cloned for TypeORM and for ormshift."""

    def __init__(
        self,
        dsn: str,
        project: Path,
        data_source: Path | None,
        models: Mapping[str, type[Any]] | None = None,
    ) -> None:
        self.dsn = dsn
        base = f"ormshift_cmp_{uuid.uuid4().hex[:8]}"
        self.names = {"template": f"{base}_tpl", "typeorm": f"{base}_ts", "ormshift": f"{base}_py"}
        self.created: list[str] = []
        self._create(self.names["template"], None)
        # TypeORM's synchronize() never creates a schema (no createSchema call in its
        # schema builder): the application creates them first, as the models do
        with connect(with_database(dsn, self.names["template"])) as conn:
            for name in model_schemas(models or {}):
                conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(name)))
        sync_project(project, with_database(dsn, self.names["template"]), data_source=data_source)
        self._create(self.names["typeorm"], self.names["template"])
        self._create(self.names["ormshift"], self.names["template"])

    def _create(self, name: str, template: str | None) -> None:
        with connect(self.dsn) as conn:
            stmt = sql.SQL("create database {}").format(sql.Identifier(name))
            if template:
                stmt = sql.SQL("create database {} template {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            conn.execute(stmt)
        self.created.append(name)

    def url(self, side: str) -> str:
        return with_database(self.dsn, self.names[side])

    def drop(self) -> None:
        with connect(self.dsn) as conn:
            for name in reversed(self.created):
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


def model_schemas(models: Mapping[str, type[Any]]) -> list[str]:
    """The schemas other than ``public`` the models' tables and enum types live in."""
    names: set[str] = set()
    for cls in models.values():
        for table in cls.metadata.tables.values():
            names.add(table.schema or "public")
            for column in table.columns:
                names.add(getattr(column.type, "schema", None) or "public")
    return sorted(names - {"public"})


def reset(url: str, seed: tuple[str, ...]) -> None:
    """Empty every table (identities restarted), then run the seed statements."""
    with connect(url, autocommit=False) as conn:
        tables = [t.ident for t in table_specs(conn)]
        if tables:
            conn.execute(
                sql.SQL("truncate {} restart identity cascade").format(sql.SQL(", ").join(tables))
            )
        for statement in seed:
            try:
                conn.execute(statement.encode())
            except psycopg.Error as exc:
                raise ScenarioError(
                    f"seed statement failed: {exc.diag.message_primary or exc}: {statement[:120]}"
                ) from exc
        conn.commit()


def _volatile(models: Mapping[str, type[Any]]) -> tuple[frozenset[str], frozenset[str]]:
    attrs: set[str] = set()
    columns: set[str] = set()
    for cls in models.values():
        info = entity_info(cls)
        for role, key in info.roles.items():
            if role in ("create-date", "update-date", "delete-date"):
                attrs.add(info.property_of(key))  # records are keyed by TypeORM names
                columns.add(info.columns[key].name)
    return frozenset(attrs), frozenset(columns)


def _run_scenario(
    scenario: Scenario,
    file: ScenarioFile,
    dbs: _Databases,
    sidecar: Sidecar,
    face: Face,
    ds: Any,
    models: Mapping[str, type[Any]],
    recorder: Recorder,
    on_operation: Callable[[str, Operation], None] | None,
    hidden: Hidden,
) -> list[Mismatch]:
    seed = file.seed + scenario.seed
    reset(dbs.url("typeorm"), seed)
    reset(dbs.url("ormshift"), seed)
    vol_attrs, vol_cols = _volatile(models)
    vol_attrs |= frozenset(file.volatile)
    vol_cols |= frozenset(file.volatile)
    mismatches: list[Mismatch] = []
    for index, op in enumerate(scenario.operations, 1):
        if on_operation is not None:
            on_operation(scenario.name, op)
        reply = sidecar.request(op.message())
        recorder.add("typeorm", op.op, reply.ms)
        started = time.perf_counter()
        py_error: BaseException | None = None
        py_result: Any = None
        try:
            py_result = face.run(run_operation(ds, models, op))
        except Exception as exc:
            py_error = exc
        recorder.add("ormshift", op.op, (time.perf_counter() - started) * 1000)
        a = typeorm_outcome(op, reply.ok, reply.result, reply.error, vol_attrs)
        b = ormshift_outcome(op, py_result, py_error, hidden, vol_attrs)
        found = diff_outcomes(a, b)
        if found is not None:
            kind, ts_side, py_side = found
            mismatches.append(
                Mismatch(scenario.name, index, op.label, kind, ts_side, py_side, op.known)
            )
        if op.writes:
            a_state = snapshot(dbs.url("typeorm"), vol_cols)
            b_state = snapshot(dbs.url("ormshift"), vol_cols)
            for table in sorted(set(a_state) | set(b_state)):
                if canonical(a_state.get(table)) != canonical(b_state.get(table)):
                    mismatches.append(
                        Mismatch(
                            scenario.name,
                            index,
                            f"{op.label} -> {table}",
                            "state",
                            a_state.get(table),
                            b_state.get(table),
                            op.known,
                        )
                    )
    return mismatches


def run_compare(
    project: Path,
    scenario_path: Path,
    dsn: str,
    *,
    models: str | None = None,
    data_source: Path | None = None,
    on_operation: Callable[[str, Operation], None] | None = None,
    face: str = "sync",
) -> CompareReport:
    """Run every scenario of ``scenario_path`` on both sides, ormshift's through the
    ``face`` of `ormshift.orm` (``sync`` or ``async``); the diff and latencies."""
    candidate = face_named(face)
    if not project.is_dir():
        raise ScenarioError(f"--project {project}: no such directory; give the TypeORM project")
    file = load_scenarios(scenario_path)
    spec = models or file.models
    if spec is None:
        raise ScenarioError(
            f"{scenario_path}: say which SQLAlchemy models to run (models: in the file or --models)"
        )
    classes = load_models(spec)
    subscribers = load_subscribers(spec)
    dbs = _Databases(dsn, project, data_source, classes)
    recorder = Recorder()
    mismatches: list[Mismatch] = []
    operations = 0
    try:
        with (
            Sidecar(project, dbs.url("typeorm"), data_source=data_source) as sidecar,
            candidate.open(dbs.url("ormshift"), subscribers) as ds,
        ):
            described = sidecar.request({"op": "describe"})
            hidden = hidden_columns(described.result if described.ok else {})
            for scenario in file.scenarios:
                mismatches += _run_scenario(
                    scenario,
                    file,
                    dbs,
                    sidecar,
                    candidate,
                    ds,
                    classes,
                    recorder,
                    on_operation,
                    hidden,
                )
                operations += len(scenario.operations)
    finally:
        dbs.drop()
    return CompareReport(
        len(file.scenarios),
        operations,
        tuple(mismatches),
        recorder.summary(),
        dict(recorder.samples),
        candidate.name,
    )
