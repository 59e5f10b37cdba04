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
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from ormshift.compare.candidate import plain_result, run_operation
from ormshift.compare.latency import LatencySummary, Recorder
from ormshift.compare.normalize import canonical, common, conform, normalize_value, shape
from ormshift.compare.scenario import (
    Operation,
    Scenario,
    ScenarioError,
    ScenarioFile,
    load_scenarios,
)
from ormshift.compare.sidecar import Sidecar
from ormshift.dsn import connect, normalize_url
from ormshift.extract.typeorm import sync_project
from ormshift.orm import DataSource, OrmError
from ormshift.orm.errors import (
    EntityNotFound,
    OptimisticLockVersionMismatch,
    PessimisticLockTransactionRequired,
    QueryFailed,
    UnknownProperty,
)
from ormshift.orm.metadata import entity_info

__all__ = ["CompareReport", "Mismatch", "error_kind", "load_models", "run_compare"]

_INSERTS = frozenset({"insert", "upsert"})
#: Operations returning the caller's own entity: compared on the properties both sides set.
_ENTITY_OPS = frozenset({"save", "remove", "softRemove", "recover"})
_AFFECTS = frozenset({"update", "delete", "softDelete", "restore", "increment", "decrement"})


@dataclass(frozen=True)
class Mismatch:
    scenario: str
    index: int
    label: str
    kind: str  # "result" | "error" | "state"
    typeorm: Any
    ormshift: Any


@dataclass(frozen=True)
class CompareReport:
    scenarios: int
    operations: int
    mismatches: tuple[Mismatch, ...]
    latency: dict[str, dict[str, LatencySummary]] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return sum(1 for m in self.mismatches if m.kind == kind)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def error_kind_typeorm(error: Mapping[str, Any]) -> str:
    name = str(error.get("name"))
    if name == "QueryFailedError":
        return f"sql:{error.get('code')}:{error.get('constraint') or ''}"
    return {
        "EntityPropertyNotFoundError": "property-not-found",
        "EntityNotFoundError": "not-found",
        "OptimisticLockVersionMismatchError": "optimistic-lock",
        "PessimisticLockTransactionRequiredError": "lock-needs-transaction",
    }.get(name, "invalid")


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, QueryFailed):
        return f"sql:{exc.sqlstate}:{exc.constraint or ''}"
    if isinstance(exc, UnknownProperty):
        return "property-not-found"
    if isinstance(exc, EntityNotFound):
        return "not-found"
    if isinstance(exc, OptimisticLockVersionMismatch):
        return "optimistic-lock"
    if isinstance(exc, PessimisticLockTransactionRequired):
        return "lock-needs-transaction"
    if isinstance(exc, OrmError):
        return "invalid"
    return f"crash:{type(exc).__name__}"


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


def _why(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    return f"{type(exc).__name__}: {exc}"


def _shape_typeorm(op: Operation, result: Any) -> Any:
    if op.op in _INSERTS and isinstance(result, Mapping):
        return {"identifiers": result.get("identifiers")}
    if op.op in _AFFECTS and isinstance(result, Mapping):
        return {"affected": result.get("affected")}
    if op.op == "transaction" and isinstance(result, list):
        steps = op.args[0]
        return [
            _shape_typeorm(Operation(str(s["op"]), s.get("entity"), s.get("args", []), ""), r)
            for s, r in zip(steps, result, strict=False)
        ]
    return result


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(normalize_url(url))
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class _Databases:
    """A template with the project's schema, cloned for TypeORM and for ormshift."""

    def __init__(self, dsn: str, project: Path, data_source: Path | None) -> None:
        self.dsn = dsn
        base = f"ormshift_cmp_{uuid.uuid4().hex[:8]}"
        self.names = {"template": f"{base}_tpl", "typeorm": f"{base}_ts", "ormshift": f"{base}_py"}
        self.created: list[str] = []
        self._create(self.names["template"], None)
        sync_project(project, _with_database(dsn, self.names["template"]), data_source=data_source)
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
        return _with_database(self.dsn, self.names[side])

    def drop(self) -> None:
        with connect(self.dsn) as conn:
            for name in reversed(self.created):
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "select tablename from pg_tables where schemaname = 'public' order by tablename"
    ).fetchall()
    return [r[0] for r in rows]


def reset(url: str, seed: tuple[str, ...]) -> None:
    """Empty every table (identities restarted), then run the seed statements."""
    with connect(url, autocommit=False) as conn:
        tables = _tables(conn)
        if tables:
            conn.execute(
                sql.SQL("truncate {} restart identity cascade").format(
                    sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                )
            )
        for statement in seed:
            try:
                conn.execute(statement.encode())
            except psycopg.Error as exc:
                raise ScenarioError(
                    f"seed statement failed: {exc.diag.message_primary or exc}: {statement[:120]}"
                ) from exc
        conn.commit()


def snapshot(url: str, volatile: frozenset[str]) -> dict[str, Any]:
    """Every table's rows, ordered by all columns, normalised."""
    out: dict[str, Any] = {}
    with connect(url) as conn:
        for table in _tables(conn):
            cur = conn.execute(sql.SQL("select * from {}").format(sql.Identifier(table)))
            names = [d.name for d in cur.description or []]
            rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            out[table] = normalize_value(rows, volatile, ordered=False)
    return out


def _volatile(models: Mapping[str, type[Any]]) -> tuple[frozenset[str], frozenset[str]]:
    attrs: set[str] = set()
    columns: set[str] = set()
    for cls in models.values():
        info = entity_info(cls)
        for role, key in info.roles.items():
            if role in ("create-date", "update-date", "delete-date"):
                attrs.add(key)
                columns.add(info.columns[key].name)
    return frozenset(attrs), frozenset(columns)


def _run_scenario(
    scenario: Scenario,
    file: ScenarioFile,
    dbs: _Databases,
    sidecar: Sidecar,
    ds: DataSource,
    models: Mapping[str, type[Any]],
    recorder: Recorder,
    on_operation: Callable[[str, Operation], None] | None,
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
            py_result = run_operation(ds, models, op)
        except Exception as exc:
            py_error = exc
        recorder.add("ormshift", op.op, (time.perf_counter() - started) * 1000)
        if not reply.ok or py_error is not None:
            ts_kind = error_kind_typeorm(reply.error or {}) if not reply.ok else None
            py_kind = error_kind(py_error) if py_error is not None else None
            if ts_kind != py_kind:
                mismatches.append(
                    Mismatch(
                        scenario.name,
                        index,
                        op.label,
                        "error",
                        reply.error if not reply.ok else "(no error)",
                        f"{type(py_error).__name__}: {py_error}" if py_error else "(no error)",
                    )
                )
        else:
            ts_plain = _shape_typeorm(op, reply.result)
            py_plain = conform(shape(ts_plain), plain_result(py_result))
            if op.op in _ENTITY_OPS:
                ts_plain, py_plain = common(ts_plain, py_plain)
            a = normalize_value(ts_plain, vol_attrs, ordered=op.ordered)
            b = normalize_value(py_plain, vol_attrs, ordered=op.ordered)
            if canonical(a) != canonical(b):
                mismatches.append(Mismatch(scenario.name, index, op.label, "result", a, b))
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
) -> CompareReport:
    """Run every scenario of ``scenario_path`` on both sides; the diff and latencies."""
    if not project.is_dir():
        raise ScenarioError(f"--project {project}: no such directory; give the TypeORM project")
    file = load_scenarios(scenario_path)
    spec = models or file.models
    if spec is None:
        raise ScenarioError(
            f"{scenario_path}: say which SQLAlchemy models to run (models: in the file or --models)"
        )
    classes = load_models(spec)
    dbs = _Databases(dsn, project, data_source)
    recorder = Recorder()
    mismatches: list[Mismatch] = []
    operations = 0
    try:
        with (
            Sidecar(project, dbs.url("typeorm"), data_source=data_source) as sidecar,
            DataSource(dbs.url("ormshift"), size=5) as ds,
        ):
            for scenario in file.scenarios:
                mismatches += _run_scenario(
                    scenario, file, dbs, sidecar, ds, classes, recorder, on_operation
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
    )
