"""``ormshift demo``: the whole pipeline on the bookstore example, on an embedded server.

Steps: start PostgreSQL (pgserver) -> create the example's schema (TypeORM's own
synchronize when Node is there, else the generated models from the shipped manifest)
-> seed ~100k rows -> extract -> generate models -> create the target from the models
-> migrate with the monitor on -> verify -> a short comparison (when Node is there) ->
one JSON report and one HTML page in the output directory. Everything else is removed.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import psycopg
import sqlalchemy as sa

from ormshift.clock import utc_now
from ormshift.codegen import render_package, write_package
from ormshift.compare import run_compare
from ormshift.demo.seed import seed_bookstore
from ormshift.demo.server import create_database, embedded_postgres
from ormshift.dsn import sqlalchemy_url
from ormshift.errors import OrmshiftError
from ormshift.extract import extract_project, sync_project
from ormshift.extract.bridge import bridge_modules, node_executable
from ormshift.files import write_text_atomic
from ormshift.manifest import Manifest, dump, read
from ormshift.monitor import (
    HostProbe,
    Monitor,
    PostgresProbe,
    RunProbe,
    RunStats,
    Sampler,
)
from ormshift.report import Report, Series, SummaryTable, render, table, write
from ormshift.report.builders import (
    from_compare,
    health_series,
    throughput_series,
    verify_table,
)
from ormshift.transfer import Event, MigrateOptions, migrate
from ormshift.verify import verify

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "bookstore"
SHIPPED_MANIFEST = EXAMPLE / "manifest.json"
SCENARIO = EXAMPLE / "scenario.yaml"

Say = Callable[[str], None]


@dataclass
class Step:
    name: str
    seconds: float = 0.0
    result: str = ""


@dataclass
class DemoResult:
    out_dir: Path
    report_json: Path
    report_html: Path
    steps: list[Step] = field(default_factory=list)
    status: str = "ok"
    notes: int = 0  # notes written to the report (printed too with verbose)


def node_available() -> bool:
    try:
        node_executable()
        bridge_modules()
    except OrmshiftError:
        return False
    return True


@contextmanager
def _imported(package_dir: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(package_dir.parent))
    try:
        yield importlib.import_module(package_dir.name)
    finally:
        sys.path.remove(str(package_dir.parent))
        for mod in [m for m in sys.modules if m.split(".")[0] == package_dir.name]:
            del sys.modules[mod]


def _create_all(package: ModuleType, url: str) -> None:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        package.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


class Demo:
    def __init__(
        self,
        out_dir: Path,
        say: Say,
        *,
        scale: float = 1.0,
        use_node: bool = True,
        verbose: bool = False,
    ) -> None:
        self.out_dir = out_dir
        self.say = say
        self.verbose = verbose
        self.scale = scale
        self.use_node = use_node and node_available()
        self.steps: list[Step] = []
        self.series: list[Series] = []
        self.notes: list[str] = []
        self.tables: list[list[str | int | float | None]] = []
        self.started = utc_now()
        self.compared: Report | None = None
        self.verified: SummaryTable | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Time a step; warnings raised inside it become notes of the report."""
        self.say(f"[bold]{name}[/] ...")
        step = Step(name)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield step
        step.seconds = time.perf_counter() - t0
        self.steps.append(step)
        self.say(f"  {step.result} ({step.seconds:.1f} s)")
        for w in caught:
            if issubclass(w.category, UserWarning) and "XDG_RUNTIME_DIR" not in str(w.message):
                first = str(w.message).splitlines()[0]
                self.notes.append(f"{name}: {first}")
                if self.verbose:
                    self.say(f"  [yellow]note:[/] {first}")

    def run(self) -> DemoResult:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            with self.step("start an embedded PostgreSQL") as s:
                server = stack.enter_context(embedded_postgres())
                s.result = "pgserver running in a temporary directory"
            return self._pipeline(server)

    def _pipeline(self, server: str) -> DemoResult:
        source = create_database(server, "bookstore")
        target = create_database(server, "bookstore_v2")
        manifest = self._source_schema(source)
        with self.step("seed the source") as s:
            with psycopg.connect(source) as conn:
                seeded = seed_bookstore(conn, scale=self.scale)
            s.result = f"{seeded.total:,} rows in {len(seeded.rows)} tables"
        with self.step("extract the manifest") as s:
            if self.use_node:
                manifest = extract_project(EXAMPLE)
                s.result = "TypeORM's metadata builder, through the Node bridge"
            else:
                s.result = "Node not found: using the manifest shipped with the example"
            write_text_atomic(self.out_dir / "manifest.json", dump(manifest))
        models = self.out_dir / "bookstore_models"
        with self.step("generate SQLAlchemy models") as s:
            package = render_package(manifest)
            if models.exists():
                shutil.rmtree(models)
            write_package(package, models)
            s.result = f"{len(package.files)} modules in {models}"
            self.notes += [f"{f.entity}: {f.message}" for f in package.findings]
        with (
            self.step("create the target from the generated models") as s,
            _imported(models) as pkg,
        ):
            _create_all(pkg, target)
            s.result = f"{len(pkg.Base.metadata.tables)} tables"
        self._migrate(source, target)
        self._verify(source, target)
        self._compare(server, models)
        return self._finish(source, target)

    def _source_schema(self, source: str) -> Manifest:
        with self.step("create the example's schema") as s:
            if self.use_node:
                sync_project(EXAMPLE, source)
                s.result = "TypeORM synchronize()"
                return read(SHIPPED_MANIFEST)
            manifest = read(SHIPPED_MANIFEST)
            scratch = self.out_dir / f".schema_{uuid.uuid4().hex[:8]}"
            write_package(render_package(manifest), scratch)
            try:
                with _imported(scratch) as pkg:
                    _create_all(pkg, source)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            s.result = "Node not found: generated models from the shipped manifest"
            return manifest

    def _migrate(self, source: str, target: str) -> None:
        stats = RunStats()
        probe = PostgresProbe(target)
        monitor = Monitor([HostProbe(), probe, RunProbe(stats)], sinks=())

        def on_event(event: Event) -> None:
            if event.kind == "batch" and event.table is not None:
                seconds = float(event.data.get("seconds", 0)) or 1e-6
                rows = int(event.data.get("written", 0))
                stats.record_batch(rows, seconds, int(event.data.get("rejected", 0)))

        with (
            self.step("migrate source -> target (monitor on)") as s,
            _alerts_as_notes(self.notes, echo=self.verbose),
            Sampler(monitor),
        ):
            result = migrate(source, target, MigrateOptions(batch_size=5000), on_event=on_event)
            s.result = f"{result.written:,} rows written, {result.rejected} rejected"
        probe.close()
        self.series += throughput_series(result)
        self.series += health_series(list(monitor.history))
        for t in result.tables:
            self.tables.append([t.table, t.read, t.written, t.rejected, t.batches,
                                round(t.seconds, 3), round(t.rows_per_second, 1)])  # fmt: skip

    def _verify(self, source: str, target: str) -> None:
        with self.step("verify source against target") as s:
            result = verify(source, target)
            self.verified = verify_table(result)
            identical = sum(1 for t in result.tables if t.status == "identical")
            s.result = (
                f"{identical}/{len(result.tables)} tables identical, "
                f"{result.differences} difference(s)"
            )
            if result.exit_code != 0:
                self.notes.append(f"verify found differences: {result.to_json()}")

    def _compare(self, server: str, models: Path) -> None:
        with self.step("compare TypeORM and ormshift.orm") as s:
            if not self.use_node:
                s.result = "skipped: Node.js is not installed"
                return
            sys.path.insert(0, str(models.parent))
            try:
                result = run_compare(EXAMPLE, SCENARIO, server, models=models.name)
            finally:
                sys.path.remove(str(models.parent))
                for mod in [m for m in sys.modules if m.split(".")[0] == models.name]:
                    del sys.modules[mod]
            self.compared = from_compare(
                result, title="compare", target=server, started_at=self.started
            )
            s.result = (
                f"{result.operations} operations on both sides: "
                f"{len(result.mismatches)} mismatch(es)"
            )

    def _finish(self, source: str, target: str) -> DemoResult:
        mismatched = self.compared is not None and self.compared.status != "ok"
        differs = mismatched or any("verify found" in n for n in self.notes)
        status = "differs" if differs else "ok"
        report = Report(
            kind="demo",
            title="ormshift demo: the bookstore example",
            status=status,  # type: ignore[arg-type]
            started_at=self.started,
            finished_at=utc_now(),
            source=source,
            target=target,
            summary=table(
                ["table", "read", "written", "rejected", "batches", "seconds", "rows/s"],
                self.tables,
            ),
            verify=self.verified,
            series=tuple(self.series),
            latency=self.compared.latency if self.compared else (),
            differences=self.compared.differences if self.compared else (),
            notes=tuple(
                [f"{s.name}: {s.result} ({s.seconds:.1f} s)" for s in self.steps] + self.notes
            ),
        )
        report_json = self.out_dir / "report.json"
        report_html = self.out_dir / "report.html"
        write(report, report_json)
        write_text_atomic(report_html, render(report))
        return DemoResult(
            self.out_dir, report_json, report_html, self.steps, status, len(self.notes)
        )


class _NoteHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.INFO)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(f"monitor: {record.getMessage()}")


@contextmanager
def _alerts_as_notes(notes: list[str], *, echo: bool) -> Iterator[None]:
    """The monitor's alerts while the demo migrates (a busy host warns) become notes of
    the report; on the console only when ``echo``."""
    logger = logging.getLogger("ormshift.monitor.alerts")
    handler = _NoteHandler(notes)
    saved = logger.propagate
    logger.addHandler(handler)
    logger.propagate = echo
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved
