"""Every bad input this project promises to answer with one line: the case list, the
files and databases the cases point at, a runner, and the page docs/bad-inputs.md made
from the same list (so the page cannot drift from what the command line does).

A case's arguments may name placeholders, filled in per run:

``{pg}``      the test server's maintenance database (reachable, trusted)
``{src}``     a database with a table ``item`` holding rows
``{dst}``     a database with an empty table ``item`` (must stay empty)
``{empty}``   a database without tables
``{nodb}``    the test server, a database that does not exist
``{secret}``  a password that must never be printed

Every case runs in a directory of its own holding the files of `FILES` (and
``manifest.json``, ``report.json``: a real manifest and JSON report); after the run the
directory must be exactly as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ormshift.dsn import redact

SECRET = "S3cr3t-pw-9xq"
CLOSED = f"postgresql://postgres:{SECRET}@127.0.0.1:1/postgres"  # a TCP port nobody has
MYSQL_BAD_PORT = f"mysql://root:{SECRET}@127.0.0.1:abc/shop"
MYSQL_BAD_IPV6 = f"mysql://root:{SECRET}@[::1/shop"
PG_BAD_PORT = f"postgresql://postgres:{SECRET}@127.0.0.1:abc/postgres"
PG_BIG_PORT = f"postgresql://postgres:{SECRET}@127.0.0.1:70000/postgres"
PG_BAD_IPV6 = f"postgresql://postgres:{SECRET}@[::1/postgres"
MYSQL_TARGET = f"mysql://root:{SECRET}@127.0.0.1:3306/shop"
SQLITE = "sqlite:///data.db"  # a real SQLite file in every case directory
READ_ONLY = "/sys"  # not writable, even by root
TIMEOUT = 60  # seconds; every case fails long before


COMMANDS = ("extract", "generate", "schema", "compare", "migrate", "rollback", "verify",
            "health", "report", "demo", "version")  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments, the exit code and a part of the one error line."""

    args: tuple[str, ...]
    expect: str  # found in the error line, case-insensitive
    code: int = 2
    env: tuple[tuple[str, str], ...] = ()  # more environment variables

    @property
    def command(self) -> str:
        first = next((a for a in self.args if a in COMMANDS), "")
        return "schema diff" if first == "schema" and "diff" in self.args else first


def case(
    *args: str, expect: str, code: int | None = None, env: dict[str, str] | None = None
) -> Case:
    """A bad input; its exit code is 2, or 3 (UNKNOWN, as monitoring systems read it) for
    ``health``."""
    made = Case(tuple(args), expect, 2, tuple((env or {}).items()))
    default = 3 if made.command == "health" else 2
    return Case(made.args, expect, default if code is None else code, made.env)


SCENARIO = """\
models: tests.models.blog
scenarios:
  - name: one
    operations:
      - {op: find, entity: Post}
"""

FILES: Mapping[str, str | bytes | None] = {
    "garbage.json": "{ this is not json",
    "list.json": "[1, 2, 3]\n",
    "binary.bin": b"\xff\xfe\x00\x81garbage\x00",
    "afile": "a file where a directory is expected\n",
    "dir/": None,
    "full/": None,
    "full/keep.txt": "not empty\n",
    "scenario.yaml": SCENARIO,
    "broken.yaml": "scenarios: [\n  - {name: x, operations: [\n",
    "list.yaml": "- a\n- b\n",
    "scalar-scenario.yaml": "scenarios:\n  - just a string\n",
    "syntax_error.py": "def broken(:\n",
    "monitor-garbage.toml": "this is = not [toml\n",
    "monitor-interval-inf.toml": "[monitor]\ninterval = inf\n",
    "monitor-interval-str.toml": "[monitor]\ninterval = 'often'\n",
    "monitor-neg.toml": "[thresholds.host_cpu_percent]\npause = -5\n",
    "monitor-150.toml": "[thresholds.host_cpu_percent]\npause = 150\n",
    "monitor-order.toml": "[thresholds.host_memory_percent]\npause = 90\nabort = 50\n",
    "monitor-hyst.toml": "[thresholds.host_cpu_percent]\npause = 90\nhysteresis = -1\n",
    "monitor-conn0.toml": '[thresholds."pg_active_connections{db=target}"]\npause = 0\n',
    "mapping-garbage.yaml": "tables: [\n",
    "config-garbage.toml": "source = [\n",
    "config-unknown.toml": "[migrate]\nbatchsize = 10\n",
    "config-env.toml": "source-env = 'ORMSHIFT_CASE_UNSET'\n",
    "not-sqlite.db": "this is not a SQLite file\n",
}

# fmt: off
CASES: tuple[Case, ...] = (
    # -- usage errors: one line from the entry point, never the boxed panel --------------
    case("frobnicate", expect="no such command 'frobnicate'"),
    case("--nosuch", "version", expect="no such option: --nosuch"),
    case("--log-level", "loud", "version", expect="--log-level 'loud'"),
    case("version", "extra", expect="unexpected extra argument"),
    case("migrate", expect="--source is missing: give --source URL, or set ORMSHIFT_SOURCE_URL"),
    case("migrate", "--source", "{src}", expect="--target is missing"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--batch-size", "abc",
         expect="--batch-size"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--bogus", expect="--bogus"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--factor", "x", expect="--factor"),
    case("rollback", "--target", "{dst}", expect="missing argument 'RUN_ID'"),
    case("generate", expect="missing argument 'MANIFEST'"),
    case("schema", "diff", "--source", "{src}", expect="--target is missing"),
    case("schema", "frob", expect="no such command 'frob'"),
    case("health", expect="--db is missing: give --db URL, or set ORMSHIFT_DATABASE_URL"),
    case("health", "--db", "{pg}", "--monitor-config",
         expect="option '--monitor-config' requires an argument; see 'ormshift health --help'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--table", " , ",
         expect="--table names no table"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--table", "item,nosuch",
         expect="--table: schema 'public' of the source has no table 'nosuch'; it has item"),
    case("schema", "diff", "--source", "{src}", "--target", "{dst}", "--table", ",",
         expect="--table names no table"),
    case("report", expect="missing argument 'RUN'"),
    case("demo", "--scale", "lots", expect="--scale"),
    # -- migrate: numbers and sizes ------------------------------------------------------
    case("migrate", "--source", "{src}", "--target", "{dst}", "--batch-size", "0",
         expect="invalid value for '--batch-size'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--workers", "0",
         expect="--workers"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--batch-bytes", "lots",
         expect="--batch-bytes 'lots' is not a size"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-rejects", "-1",
         expect="--max-rejects"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--join", "nope", "--join-wait", "0",
         expect="no run 'nope'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--join", "r1", "--truncate",
         expect="cannot take --truncate"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--parts", "4",
         expect="--workers 2 or more"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--run-id", "a b",
         expect="is not a run id"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--truncate", "--append",
         expect="--truncate"),
    # -- migrate: thresholds, throttles, metrics port ------------------------------------
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-cpu", "-5",
         expect="--max-cpu -5"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-cpu", "0",
         expect="--max-cpu 0"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-cpu", "150",
         expect="--max-cpu 150"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-cpu", "nan",
         expect="--max-cpu nan"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-cpu", "90",
         "--critical-cpu", "50", expect="--critical-cpu"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-memory", "-1",
         expect="--max-memory -1"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-connections", "0",
         expect="invalid value for '--max-connections'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--max-connections", "10",
         "--critical-connections", "5", expect="--critical-connections"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--poll-seconds", "nan",
         expect="invalid value for '--poll-seconds'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--poll-seconds", "-1",
         expect="invalid value for '--poll-seconds'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--metrics-port", "70000",
         expect="invalid value for '--metrics-port'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--metrics-port", "0",
         expect="invalid value for '--metrics-port'"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config", "nope.toml",
         expect="nope.toml: no such monitor config file"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-garbage.toml", expect="not valid TOML"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-interval-str.toml", expect="monitor.interval: expected a number"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-neg.toml", expect="host_cpu_percent"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-150.toml", expect="host_cpu_percent"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-order.toml", expect="each level must be at least as severe"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--monitor-config",
         "monitor-hyst.toml", expect="hysteresis"),
    # -- migrate: files ------------------------------------------------------------------
    case("migrate", "--source", "{src}", "--target", "{dst}", "--report", "nodir/r.json",
         expect="the directory nodir does not exist"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--report",
         f"{READ_ONLY}/r.json", expect="cannot write in the directory /sys"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--mapping", "nope.yaml",
         expect="nope.yaml"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--mapping",
         "mapping-garbage.yaml", expect="mapping-garbage.yaml"),
    # -- migrate: URLs -------------------------------------------------------------------
    case("migrate", "--source", "", "--target", "{dst}", expect="--source is empty"),
    case("migrate", "--source", "not a url", "--target", "{dst}",
         expect="is not a database URL"),
    case("migrate", "--source", "http://example.org/db", "--target", "{dst}",
         expect="http"),
    case("migrate", "--source", SQLITE, "--target", "{dst}", expect="SQLite"),
    case("migrate", "--source", "{src}", "--target", MYSQL_TARGET, expect="PostgreSQL"),
    case("migrate", "--source", MYSQL_BAD_PORT, "--target", "{dst}", expect="port"),
    case("migrate", "--source", MYSQL_BAD_IPV6, "--target", "{dst}", expect="host"),
    case("migrate", "--source", PG_BIG_PORT, "--target", "{dst}", expect="port"),
    case("migrate", "--source", PG_BAD_IPV6, "--target", "{dst}", expect="host"),
    case("migrate", "--source", CLOSED, "--target", "{dst}", expect="no server answers"),
    case("migrate", "--source", "{nodb}", "--target", "{dst}", expect="does not exist"),
    case("migrate", "--source", "{src}", "--target", "{dst}", "--schema", "nosuch",
         expect="nosuch"),
    # -- verify: vacuous runs are errors -------------------------------------------------
    case("verify", "--source", "{empty}", "--target", "{dst}", expect="no tables"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--table", "nosuch",
         expect="nosuch"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--table", "item,nosuch",
         expect="nosuch"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--table", " , ",
         expect="--table"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--schema", "nosuch",
         expect="schema 'nosuch'"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--target-schema", "nosuch",
         expect="schema 'nosuch'"),
    case("verify", "--source", SQLITE, "--target", "{dst}", "--table", "nosuch",
         expect="nosuch"),
    # -- verify: options and files -------------------------------------------------------
    case("verify", "--source", "{src}", "--target", "{dst}", "--factor", "1",
         expect="invalid value for '--factor'"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--threshold", "0",
         expect="invalid value for '--threshold'"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--sample", "150",
         expect="--sample is a percentage"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--sample", "nan",
         expect="--sample is a percentage"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--manifest", "garbage.json",
         expect="garbage.json"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--mapping", "nope.yaml",
         expect="nope.yaml"),
    case("verify", "--source", "{src}", "--target", "{dst}", "--report", "nodir/v.json",
         expect="the directory nodir does not exist"),
    # -- verify: URLs --------------------------------------------------------------------
    case("verify", "--source", "", "--target", "{dst}", expect="--source is empty"),
    case("verify", "--source", MYSQL_BAD_PORT, "--target", "{dst}", expect="port"),
    case("verify", "--source", MYSQL_BAD_IPV6, "--target", "{dst}", expect="host"),
    case("verify", "--source", "{src}", "--target", MYSQL_TARGET, expect="PostgreSQL"),
    case("verify", "--source", "{src}", "--target", SQLITE, expect="PostgreSQL"),
    case("verify", "--source", "sqlite:///missing.db", "--target", "{dst}",
         expect="no SQLite database file"),
    case("verify", "--source", "sqlite:///not-sqlite.db", "--target", "{dst}",
         expect="SQLite"),
    case("verify", "--source", CLOSED, "--target", "{dst}", expect="no server answers"),
    case("verify", "--source", "{src}", "--target", "{nodb}", expect="does not exist"),
    # -- rollback ------------------------------------------------------------------------
    case("rollback", "some-run", "--target", "not a url", expect="is not a database URL"),
    case("rollback", "some-run", "--target", MYSQL_TARGET, expect="PostgreSQL"),
    case("rollback", "some-run", "--target", PG_BAD_PORT, expect="port"),
    case("rollback", "some-run", "--target", CLOSED, expect="no server answers"),
    case("rollback", "some-run", "--target", "{nodb}", expect="does not exist"),
    case("rollback", "some-run", "--target", "{dst}", expect="some-run"),
    # -- extract -------------------------------------------------------------------------
    case("extract", expect="give either a PROJECT directory or --db"),
    case("extract", "nodir", expect="nodir"),
    case("extract", "afile", expect="afile"),
    case("extract", "--db", "{src}", "--entities", "*.ts", expect="go with a PROJECT"),
    case("extract", "--db", "not a url", expect="is not a database URL"),
    case("extract", "--db", MYSQL_TARGET, expect="PostgreSQL"),
    case("extract", "--db", CLOSED, expect="no server answers"),
    case("extract", "--db", "{nodb}", expect="does not exist"),
    case("extract", "--db", "{empty}", expect="has no tables"),
    case("extract", "--db", "{src}", "--schema", "nosuch", expect="nosuch"),
    case("extract", "--db", "{src}", "--table", "nosuch", "-o", "m.json",
         expect="--table: schema 'public' of that database has no table 'nosuch'; it has item"),
    case("extract", "--db", "{src}", "--table", " , ", expect="--table names no table"),
    case("extract", "--db", "{src}", "-o", "nodir/m.json",
         expect="the directory nodir does not exist"),
    case("extract", "--db", "{src}", "-o", f"{READ_ONLY}/m.json",
         expect="cannot write in the directory /sys"),
    # -- generate ------------------------------------------------------------------------
    case("generate", "nope.json", "-o", "out", expect="nope.json"),
    case("generate", "garbage.json", "-o", "out", expect="garbage.json"),
    case("generate", "list.json", "-o", "out", expect="list.json"),
    case("generate", "binary.bin", "-o", "out", expect="binary.bin"),
    case("generate", "dir", "-o", "out", expect="is a directory"),
    case("generate", "manifest.json", "-o", "afile", expect="afile"),
    case("generate", "manifest.json", "-o", "full", expect="full"),
    case("generate", "manifest.json", "-o", f"{READ_ONLY}/models", expect=READ_ONLY),
    case("generate", "manifest.json", "-o", "out", "--table", "nosuch",
         expect="--table: manifest manifest.json has no table 'nosuch'; it has item"),
    # -- schema diff ---------------------------------------------------------------------
    case("schema", "diff", "--source", "not a url", "--target", "{src}",
         expect="is not a database URL"),
    case("schema", "diff", "--source", "{src}", "--target", MYSQL_TARGET, expect="PostgreSQL"),
    case("schema", "diff", "--source", PG_BAD_IPV6, "--target", "{src}", expect="host"),
    case("schema", "diff", "--source", CLOSED, "--target", "{src}", expect="no server answers"),
    case("schema", "diff", "--source", "{src}", "--target", "{nodb}", expect="does not exist"),
    case("schema", "diff", "--source", "{src}", "--target", "{dst}", "--schema", "nosuch",
         expect="nosuch"),
    # -- compare -------------------------------------------------------------------------
    case("compare", "--project", "dir", "--scenario", "nope.yaml", "--db", "{pg}",
         expect="nope.yaml"),
    case("compare", "--project", "dir", "--scenario", "broken.yaml", "--db", "{pg}",
         expect="broken.yaml: not valid YAML"),
    case("compare", "--project", "dir", "--scenario", "list.yaml", "--db", "{pg}",
         expect="'scenarios' list"),
    case("compare", "--project", "dir", "--scenario", "scalar-scenario.yaml", "--db",
         "{pg}", expect="scalar-scenario.yaml"),
    case("compare", "--project", "dir", "--scenario", "scenario.yaml", "--db", "{pg}",
         "--models", "nope.py", expect="nope.py"),
    case("compare", "--project", "dir", "--scenario", "scenario.yaml", "--db", "{pg}",
         "--models", "syntax_error.py", expect="syntax_error.py"),
    case("compare", "--project", "nodir", "--scenario", "scenario.yaml", "--db", "{pg}",
         expect="nodir"),
    case("compare", "--project", "dir", "--scenario", "scenario.yaml", "--db", CLOSED,
         expect="no server answers"),
    # -- the project file ----------------------------------------------------------------
    case("--config", "nope.toml", "migrate", expect="--config nope.toml: no such file"),
    case("--config", "config-garbage.toml", "migrate", expect="not valid TOML"),
    case("--config", "config-unknown.toml", "migrate", "--source", "{src}", "--target", "{dst}",
         expect="migrate takes no 'batchsize'"),
    case("--config", "config-env.toml", "verify", "--target", "{dst}",
         expect="ORMSHIFT_CASE_UNSET, which is not set"),
    case("--config", "config-garbage.toml", "health", "--db", "{pg}", expect="not valid TOML"),
    # -- health --------------------------------------------------------------------------
    case("health", "--db", "not a url", expect="is not a database URL"),
    case("health", "--db", MYSQL_TARGET, expect="PostgreSQL"),
    case("health", "--db", PG_BAD_PORT, expect="port"),
    case("health", "--db", CLOSED, expect="no server answers"),
    case("health", "--db", "{pg}", "--monitor-config", "nope.toml",
         expect="no such monitor config file"),
    case("health", "--db", "{pg}", "--monitor-config", "monitor-garbage.toml",
         expect="not valid TOML"),
    case("health", "--db", "{pg}", "--monitor-config", "monitor-neg.toml",
         expect="host_cpu_percent"),
    case("health", "--db", "{pg}", "--monitor-config", "monitor-conn0.toml",
         expect="pg_active_connections"),
    case("health", "--db", "{pg}", "--monitor-config", "monitor-interval-inf.toml",
         expect="monitor.interval"),
    case("health", "--db", "{pg}", env={"ORMSHIFT_THRESHOLD__HOST_CPU_PERCENT__PAUSE": "-5"},
         expect="ORMSHIFT_THRESHOLD__HOST_CPU_PERCENT__PAUSE: threshold host_cpu_percent"),
    case("health", "--db", "{pg}", env={"ORMSHIFT_THRESHOLD__HOST_CPU_PERCENT__STOP": "5"},
         expect="expected ORMSHIFT_THRESHOLD__<METRIC>__<WARN|THROTTLE|PAUSE|ABORT>"),
    # -- report --------------------------------------------------------------------------
    case("report", "nope.json", expect="nope.json"),
    case("report", "garbage.json", expect="garbage.json"),
    case("report", "list.json", expect="list.json"),
    case("report", "binary.bin", expect="binary.bin"),
    case("report", "dir", expect="is a directory"),
    case("report", "manifest.json", "-o", "m.html", expect="manifest.json"),
    case("report", "report.json", "-o", "nodir/r.html",
         expect="the directory nodir does not exist"),
    case("report", "report.json", "-o", f"{READ_ONLY}/r.html",
         expect="cannot write in the directory /sys"),
    # -- demo ----------------------------------------------------------------------------
    case("demo", "--scale", "0", expect="--scale must be above 0"),
    case("demo", "--scale", "-1", expect="--scale must be above 0"),
    case("demo", "--scale", "nan", expect="--scale"),
    case("demo", "--output", "afile", expect="afile is a file, not a directory"),
    case("demo", "--output", f"{READ_ONLY}/demo", expect=READ_ONLY),
)
# fmt: on


@dataclass
class Outcome:
    case: Case
    code: int
    stdout: str
    stderr: str
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    where: str = ""  # the case's directory: left out of the page

    @property
    def line(self) -> str:
        """The first line of stderr, paths inside the case's directory made relative."""
        first = self.lines[0] if self.lines else ""
        return first.replace(self.where + os.sep, "") if self.where else first

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def make_files(where: Path, extra: Mapping[str, str]) -> None:
    for name, body in {**FILES, **extra}.items():
        path = where / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        elif isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body or "", "utf-8")


def tree(where: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(where)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(where.rglob("*"))
    }


def run_case(
    c: Case, where: Path, places: Mapping[str, str], extra: Mapping[str, str], sqlite: bytes
) -> Outcome:
    where.mkdir(parents=True)
    make_files(where, extra)
    (where / "data.db").write_bytes(sqlite)
    before = tree(where)
    started = time.monotonic()
    args = [a.format_map(places) for a in c.args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORMSHIFT_THRESHOLD__")}
    env.update({"COLUMNS": "80", "TERM": "dumb", **dict(c.env)})
    for name in (
        "ORMSHIFT_SOURCE_URL",
        "ORMSHIFT_TARGET_URL",
        "ORMSHIFT_DATABASE_URL",
        "PGHOST",
        "PGDATABASE",
        "PGSERVICE",
    ):  # a URL only where a case gives one
        env.pop(name, None)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ormshift", *args],
            capture_output=True, text=True, cwd=where, timeout=TIMEOUT, check=False, env=env,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:  # a bad input must never leave a run waiting
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return Outcome(
            c, -1, "", f"(still running after {TIMEOUT} s) {err}", [], TIMEOUT, str(where)
        )
    after = tree(where)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    seconds = time.monotonic() - started
    return Outcome(c, result.returncode, result.stdout, result.stderr, changed, seconds, str(where))


def shown(text: str, places: Mapping[str, str]) -> str:
    """``text`` with the run's database URLs and names put back as placeholders."""
    for name, value in sorted(places.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(value, "{" + name + "}").replace(redact(value), "{" + name + "}")
        database = value.rsplit("/", 1)[-1]
        if name in ("src", "dst", "empty", "nodb") and database:
            text = re.sub(rf"\b{re.escape(database)}\b", "{" + name + "_db}", text)
    return text


def _shown_body(body: str | bytes | None) -> str:
    if body is None:
        return "(a directory)"
    return repr(body)[:70]


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else ""


def render(outcomes: list[Outcome], places: Mapping[str, str]) -> str:
    """docs/bad-inputs.md: every case with its exit code and its one line."""
    head = [
        "# Bad inputs: one line each",
        "",
        "<!-- generated by tests/integration/test_bad_inputs.py from the case list in",
        "     tests/integration/bad_inputs.py; ORMSHIFT_WRITE_DOCS=1 rewrites this page -->",
        "",
        "Every command answers a bad input with one line on stderr that starts with",
        "`error:` and says what is wrong and what to do, exits with code 2 (`health`: 3,",
        "UNKNOWN, as monitoring systems read it), prints no traceback and no password, and",
        "writes nothing. Each row below is run as a real",
        "`ormshift` process by the test suite, which checks all of that, and that this page",
        "is current.",
        "",
        "Placeholders: `{pg}` a reachable PostgreSQL server, `{src}` a database with a table",
        "`item`, `{dst}` one whose `item` is empty, `{empty}` one without tables, `{nodb}`",
        "a database that does not exist on that server (`{..._db}`: its name);",
        f"`{READ_ONLY}` is a directory nobody may write to. Each case runs in a directory",
        "of its own holding `data.db` (a SQLite database with a table `item`),",
        "`manifest.json` and `report.json` (a real manifest and JSON report of `{src}`), and:",
        "",
        "| file | holds |",
        "|---|---|",
        *(f"| `{name}` | {_cell(_shown_body(body))} |" for name, body in FILES.items()),
        "",
        "Exit codes: 2 is a bad input or a run that could not start. `ormshift` with no",
        "command (and `ormshift schema`) prints the help instead, also with exit code 2.",
        "",
        f"{len(outcomes)} cases.",
        "",
        "| # | command | arguments | exit | the line |",
        "|---|---|---|---|---|",
    ]
    rows = []
    for i, o in enumerate(outcomes, 1):
        args = " ".join(
            [f"{k}={v}" for k, v in o.case.env]
            + [a if a and " " not in a else repr(a) for a in o.case.args]
        )
        rows.append(
            f"| {i} | {o.case.command} | {_cell(shown(args, places))} | {o.code} | "
            f"{_cell(shown(o.line, places))} |"
        )
    return "\n".join([*head, *rows]) + "\n"
