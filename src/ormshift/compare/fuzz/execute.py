"""One operation sequence on both sides, batched: TypeORM gets the whole sequence in one
sidecar round trip (with a state digest after every write) while ormshift.orm runs the
same sequence here; the first divergence (result, error or state) is returned."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from ormshift.compare.candidate import Hidden, run_operation
from ormshift.compare.diff import (
    diff_outcomes,
    differences,
    ormshift_outcome,
    typeorm_outcome,
)
from ormshift.compare.faces import Face, SyncFace
from ormshift.compare.scenario import Operation, _operation
from ormshift.compare.sidecar import Sidecar, SidecarError, SidecarReply
from ormshift.compare.state import digest, table_specs
from ormshift.dsn import connect

__all__ = ["Divergence", "Executor"]


@dataclass(frozen=True)
class Divergence:
    index: int  # 0-based, in the sequence
    kind: str  # "result" | "error" | "state"
    signature: str  # the divergence class
    typeorm: Any
    ormshift: Any


def _path_class(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def signature(op: Operation, kind: str, a: Any, b: Any) -> str:
    where = f"{op.op} {op.entity or ''}".strip()
    if kind == "error":
        ta = a.get("kind") if isinstance(a, Mapping) and "kind" in a else "no error"
        tb = b.get("kind") if isinstance(b, Mapping) and "kind" in b else "no error"
        if ta == tb:  # the same error at different steps
            return (
                f"error {where}: TypeORM {ta} at step {a.get('step')} / ormshift at {b.get('step')}"
            )
        return f"error {where}: TypeORM {ta} / ormshift {tb}"
    if kind == "state":
        return f"state {where}: {a}"
    found = differences(a, b, limit=1)
    head = found[0] if found else "?"
    path, _, what = head.partition(": ")
    step = re.match(r"\[(\d+)\]", path)
    if op.op == "transaction" and step and int(step.group(1)) < len(op.args[0]):
        inner = op.args[0][int(step.group(1))]
        where = f"transaction > {inner.get('op')} {inner.get('entity') or ''}".strip()
    if what.startswith("TypeORM "):
        what = "value differs"
    return f"result {where}: {_path_class(path)} {what}"


class _Side:
    def __init__(self, url: str) -> None:
        self.conn = connect(url, autocommit=True)
        self.failed: BaseException | None = None  # of the last reset

    def close(self) -> None:
        self.conn.close()


class Executor:
    """Runs sequences against two databases reset to the same seed before each run."""

    def __init__(
        self,
        sidecar: Sidecar,
        ds: Any,
        models: Mapping[str, type[Any]],
        urls: tuple[str, str],
        seed: Sequence[str],
        state: str,
        hidden: Hidden,
        volatile: frozenset[str],
        face: Face | None = None,
    ) -> None:
        """``ds`` is the data source ``face`` opened (the sync face's by default)."""
        self.sidecar = sidecar
        self.ds = ds
        self.face: Face = face if face is not None else SyncFace()
        self.models = models
        self.seed = list(seed)
        self.state = state
        self.hidden = hidden
        self.volatile = volatile
        self.sides = (_Side(urls[0]), _Side(urls[1]))
        tables = [t.ident for t in table_specs(self.sides[0].conn)]
        self._truncate = (
            sql.SQL("truncate {} restart identity cascade")
            .format(sql.SQL(", ").join(tables))
            .as_string(self.sides[0].conn)
            if tables
            else ""
        )
        # TRUNCATE, not DELETE: each sequence starts from fresh heaps on both sides, so
        # the rows lie in the same physical order and a statement that breaks several
        # constraints names the same one on both (PostgreSQL reports the first row its
        # scan meets); DELETE leaves each side's free space as its own history left it
        self.ops_run = 0
        self.seconds = 0.0

    def close(self) -> None:
        for side in self.sides:
            side.close()

    def reset(self) -> None:
        """Both databases back to the seed, side by side (each on its own connection)."""
        other = threading.Thread(target=self._reset, args=(self.sides[1],), daemon=True)
        other.start()
        try:
            self._reset(self.sides[0])
        finally:
            other.join()
        for side in self.sides:
            if side.failed is not None:
                failed, side.failed = side.failed, None
                raise failed

    def _reset(self, side: _Side) -> None:
        try:
            with side.conn.transaction():
                if self._truncate:
                    side.conn.execute(self._truncate.encode())
                for stmt in self.seed:
                    side.conn.execute(stmt.encode())
        except BaseException as exc:  # raised by reset() once both are done
            side.failed = exc

    def run(self, raw_ops: Sequence[Mapping[str, Any]]) -> list[Divergence]:
        """Reset, run ``raw_ops`` on both sides; their divergences, in order, up to and
        including the first of state (after which the two databases differ, so later
        operations would only echo it)."""
        started = time.perf_counter()
        ops = [_operation(dict(r), f"op {i + 1}") for i, r in enumerate(raw_ops)]
        self.reset()
        requests = [{**op.message(), "writes": op.writes} for op in ops]
        box: dict[str, Any] = {}

        def ask() -> None:
            try:
                box["reply"] = self.sidecar.request(
                    {"op": "batch", "requests": requests, "state": self.state},
                    timeout=max(self.sidecar.timeout, 5.0 * len(requests)),
                )
            except SidecarError as exc:
                box["error"] = exc

        thread = threading.Thread(target=ask)
        thread.start()
        local: list[tuple[Any, BaseException | None, dict[str, str] | None]] = []
        for op in ops:
            result: Any = None
            error: BaseException | None = None
            try:
                result = self.face.run(run_operation(self.ds, self.models, op))
            except Exception as exc:
                error = exc
            state = digest(self.sides[1].conn, self.state) if op.writes else None
            local.append((result, error, state))
        thread.join()
        self.ops_run += len(ops)
        self.seconds += time.perf_counter() - started
        if "error" in box:
            raise box["error"]
        reply: SidecarReply = box["reply"]
        if not reply.ok:
            raise SidecarError(f"the TypeORM sidecar refused a batch: {reply.error}")
        found_all: list[Divergence] = []
        for index, (op, remote, (result, error, py_state)) in enumerate(
            zip(ops, reply.result, local, strict=True)
        ):
            a = typeorm_outcome(
                op, bool(remote.get("ok")), remote.get("result"), remote.get("error"), self.volatile
            )
            b = ormshift_outcome(op, result, error, self.hidden, self.volatile)
            found = diff_outcomes(a, b)
            if found is not None:
                kind, ts, py = found
                found_all.append(Divergence(index, kind, signature(op, kind, ts, py), ts, py))
            if py_state is not None:
                ts_state = {r["t"]: f"{r['n']}:{r['d']}" for r in remote.get("state") or []}
                tables = sorted(
                    t for t in set(ts_state) | set(py_state) if ts_state.get(t) != py_state.get(t)
                )
                if tables:
                    label = ", ".join(tables)
                    sig = signature(op, "state", label, None)
                    found_all.append(Divergence(index, "state", sig, ts_state, py_state))
                    break
        return found_all
