"""Many clients at once: TypeORM vs ormshift.orm's asyncio face vs its sync face on threads.

    .venv/bin/python benchmarks/orm/concurrency.py [--dsn URL] [--clients 64] [--pool 16]
        [--seconds 20] [--rounds 3] [--warmup 3] [--before-src DIR] [--out FILE]

Creates a scratch database seeded as `run.py` seeds it (blog corpus, TypeORM's
``synchronize``), then runs each implementation for ``--seconds`` with ``--clients``
concurrent clients on one pool of ``--pool`` connections (no overflow), in ``--rounds``
interleaved rounds (the order rotating each round, so drift on the shared machine
favours none of them), after one ``--warmup`` run of each that is not counted:

* **typeorm**: ``concurrency.js`` — TypeORM 1.1.1, the clients async functions on one
  Node event loop, the DataSource's ``poolSize`` = ``--pool``;
* **async**: `AsyncDataSource`, the clients tasks on one asyncio event loop;
* **sync**: `DataSource`, the clients threads;
* **async-before** (with ``--before-src``, e.g. ``git archive HEAD~1 src | tar -x -C /tmp/b``
  then ``--before-src /tmp/b/src``): the asyncio face of that tree, for an A/B.

Each implementation runs in a process of its own (a worker of this script or Node),
driven over JSON lines. Each client loops over `run.py`'s seven operations starting at
operation ``client mod 7``; the writes touch rows of their own per client (the post it
updates, the post its transaction writes, the tags it upserts), so that the load is
not one row lock. Latency is timed in the worker around each call (pool wait included);
throughput is the operations completed over the round's wall time; CPU per operation
is the worker process's own (user + system), the server's not included. Prints the table and
writes ``concurrency.json`` beside this file (``--out``), with the load averages; each
implementation's figures are given pooled over its rounds and per round (``per_round``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

OPERATIONS = [
    "find-one by primary key",
    "filtered, ordered page of 20",
    "find with two relations joined",
    "save (insert)",
    "save (update)",
    "upsert of 100",
    "transaction of 5 writes",
]


# --- the workers ----------------------------------------------------------------------


def _key(c: int, i: int) -> int:
    return 1 + (c * 997 + i) % 5000


def _single_operations(ds: Any) -> list[Callable[[int, int], Any]]:
    """The one-call operations, the same for both faces: each returns what the
    repository call returns (a coroutine on the async face)."""
    from ormshift.orm import MoreThan  # noqa: PLC0415 - the worker's src
    from tests.models.blog import Comment, Post, Tag  # noqa: PLC0415

    posts, tags, comments = (
        ds.get_repository(Post),
        ds.get_repository(Tag),
        ds.get_repository(Comment),
    )
    return [
        lambda c, i: posts.find_one_by({"id": _key(c, i)}),
        lambda c, i: posts.find(
            where={"status": "published", "viewCount": MoreThan(10)},
            order={"publishedAt": "DESC"},
            skip=40,
            take=20,
        ),
        lambda c, i: posts.find(where={"id": _key(c, i)}, relations={"author": True, "tags": True}),
        lambda c, i: comments.save(
            comments.create(body=f"py {i}", post={"id": 7}, author={"id": 3})
        ),
        lambda c, i: posts.save(posts.create(id=101 + c, title=f"py {i}")),
        lambda c, i: tags.upsert(
            [{"name": f"up{c}-{k}", "label": f"py {i}"} for k in range(100)], ["name"]
        ),
    ]


def sync_operations(ds: Any) -> list[Callable[[int, int], object]]:
    from tests.models.blog import Comment, Post, Tag  # noqa: PLC0415 - the worker's src

    def transaction(c: int, i: int) -> None:
        with ds.transaction() as m:
            m.get_repository(Tag).insert({"name": f"py-tx-{c}", "label": "tx"})
            m.get_repository(Post).update(201 + c, {"excerpt": f"py {i}"})
            m.get_repository(Post).increment({"id": 201 + c}, "viewCount", 1)
            m.get_repository(Comment).insert({"body": f"py {i}", "post": {"id": 201 + c}})
            m.get_repository(Tag).delete({"name": f"py-tx-{c}"})

    return [*_single_operations(ds), transaction]


def async_operations(ds: Any) -> list[Callable[[int, int], Awaitable[object]]]:
    from tests.models.blog import Comment, Post, Tag  # noqa: PLC0415 - the worker's src

    async def transaction(c: int, i: int) -> None:
        async with ds.transaction() as m:
            await m.get_repository(Tag).insert({"name": f"py-tx-{c}", "label": "tx"})
            await m.get_repository(Post).update(201 + c, {"excerpt": f"py {i}"})
            await m.get_repository(Post).increment({"id": 201 + c}, "viewCount", 1)
            await m.get_repository(Comment).insert({"body": f"py {i}", "post": {"id": 201 + c}})
            await m.get_repository(Tag).delete({"name": f"py-tx-{c}"})

    return [*_single_operations(ds), transaction]


def run_threads(ds: Any, clients: int, seconds: float) -> dict[str, Any]:
    ops = sync_operations(ds)
    cpu = time.process_time()
    per_client: list[list[list[float]]] = [[[] for _ in ops] for _ in range(clients)]
    errors: list[BaseException] = []
    start = time.perf_counter()
    deadline = start + seconds

    def client(c: int) -> None:
        mine = per_client[c]
        k, i = c % len(ops), 0
        try:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                ops[k](c, i)
                mine[k].append((time.perf_counter() - t0) * 1000)
                k, i = (k + 1) % len(ops), i + 1
        except BaseException as exc:  # told to the driver
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return _result(elapsed, time.process_time() - cpu, per_client)


async def run_tasks(ds: Any, clients: int, seconds: float) -> dict[str, Any]:
    ops = async_operations(ds)
    per_client: list[list[list[float]]] = [[[] for _ in ops] for _ in range(clients)]
    cpu = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def client(c: int) -> None:
        mine = per_client[c]
        k, i = c % len(ops), 0
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await ops[k](c, i)
            mine[k].append((time.perf_counter() - t0) * 1000)
            k, i = (k + 1) % len(ops), i + 1

    await asyncio.gather(*(client(c) for c in range(clients)))
    return _result(time.perf_counter() - start, time.process_time() - cpu, per_client)


def _result(elapsed: float, cpu: float, per_client: list[list[list[float]]]) -> dict[str, Any]:
    samples = {
        name: [ms for mine in per_client for ms in mine[k]] for k, name in enumerate(OPERATIONS)
    }
    return {"elapsed": elapsed, "cpu": cpu, "samples": samples}


def worker(kind: str, url: str, pool: int) -> None:
    """One implementation, driven over stdin/stdout JSON lines (as concurrency.js is)."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else on the protocol's stream
    options = {"size": pool, "overflow": 0, "timeout": 120.0}

    def reply(obj: object) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    if kind == "sync":
        from ormshift.orm import DataSource  # noqa: PLC0415 - the worker's src

        with DataSource(url, **options) as ds:  # type: ignore[arg-type]
            reply({"ok": True, "result": "ready", "src": _src()})
            for line in sys.stdin:
                message = json.loads(line)
                reply(
                    {"ok": True, "result": run_threads(ds, message["clients"], message["seconds"])}
                )
        return
    from ormshift.orm.aio import AsyncDataSource  # noqa: PLC0415

    loop = asyncio.new_event_loop()
    ads = AsyncDataSource(url, **options)  # type: ignore[arg-type]
    loop.run_until_complete(ads.initialize())
    reply({"ok": True, "result": "ready", "src": _src()})
    try:
        for line in sys.stdin:
            message = json.loads(line)
            result = loop.run_until_complete(run_tasks(ads, message["clients"], message["seconds"]))
            reply({"ok": True, "result": result})
    finally:
        loop.run_until_complete(ads.destroy())
        loop.close()


def _src() -> str:
    import ormshift  # noqa: PLC0415

    return str(Path(ormshift.__file__).parent)


# --- the driver -----------------------------------------------------------------------


class Worker:
    """A process running one implementation: a round is one JSON line each way."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.ready = self._read()

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the {self.name} worker exited")
        data = json.loads(line)
        if not data.get("ok"):
            raise SystemExit(f"the {self.name} worker failed: {data.get('error')}")
        return data

    def round(self, clients: int, seconds: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"clients": clients, "seconds": seconds}) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = self._read()["result"]
        return result

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def python_worker(name: str, kind: str, url: str, pool: int, src: Path) -> Worker:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT)])}
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--dsn", url]
    return Worker(name, [*argv, "--pool", str(pool)], env, ROOT)


def typeorm_worker(url: str, pool: int, scratch: Path) -> Worker:
    from ormshift.dsn import normalize_url  # noqa: PLC0415
    from ormshift.extract.bridge import node_executable  # noqa: PLC0415
    from ormshift.extract.tsc import compile_project  # noqa: PLC0415
    from ormshift.extract.typeorm import bridge_args  # noqa: PLC0415

    project = ROOT / "tests" / "corpus" / "blog"
    compiled = compile_project(project, scratch)
    args = [*bridge_args(project, compiled, None, None), "--url", normalize_url(url)]
    env = {
        **os.environ,
        "NODE_PATH": os.pathsep.join(str(p) for p in compiled.node_path),
        "TZ": "UTC",
        "POOL": str(pool),
    }
    env.pop("NODE_OPTIONS", None)
    return Worker("typeorm", [node_executable(), str(HERE / "concurrency.js"), *args], env, project)


def _round_figures(r: dict[str, Any]) -> dict[str, Any]:
    """One round's throughput, latency percentiles and CPU per operation."""
    from ormshift.compare.latency import percentile  # noqa: PLC0415

    everything = [ms for values in r["samples"].values() for ms in values]
    return {
        "ops": len(everything),
        "ops_per_second": len(everything) / r["elapsed"],
        "p50": percentile(everything, 50),
        "p99": percentile(everything, 99),
        "cpu_ms_per_op": r["cpu"] * 1000 / len(everything),
        "load_average_after": r.get("load_average_after"),
    }


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Throughput and latency of one implementation over its rounds."""
    from ormshift.compare.latency import percentile  # noqa: PLC0415

    per_op: dict[str, list[float]] = {name: [] for name in OPERATIONS}
    for r in rounds:
        for name, values in r["samples"].items():
            per_op[name].extend(values)
    everything = [ms for values in per_op.values() for ms in values]
    elapsed = sum(r["elapsed"] for r in rounds)
    return {
        # the implementation's process (the database server's work not included)
        "cpu_ms_per_op": sum(r["cpu"] for r in rounds) * 1000 / len(everything),
        "ops": len(everything),
        "ops_per_second": len(everything) / elapsed,
        "per_round_ops_per_second": [
            sum(len(v) for v in r["samples"].values()) / r["elapsed"] for r in rounds
        ],
        # each round on its own (a pooled p99 follows the worst round)
        "per_round": [_round_figures(r) for r in rounds],
        "p50": percentile(everything, 50),
        "p99": percentile(everything, 99),
        "operations": {
            name: {
                "count": len(values),
                "ops_per_second": len(values) / elapsed,
                "p50": percentile(values, 50),
                "p99": percentile(values, 99),
            }
            for name, values in per_op.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", default=os.environ.get("ORMSHIFT_TEST_DSN"))
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--pool", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds, not counted")
    parser.add_argument("--before-src", type=Path, help="src/ of the code to compare with")
    parser.add_argument(
        "--only", help="comma-separated implementations (typeorm,async,sync,async-before)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "concurrency.json")
    parser.add_argument("--worker", choices=["async", "sync"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.dsn:
        parser.error("give --dsn or set ORMSHIFT_TEST_DSN")
    if args.worker:
        worker(args.worker, args.dsn, args.pool)
        return
    if args.before_src is not None and not (args.before_src / "ormshift").is_dir():
        parser.error(f"--before-src {args.before_src}: no ormshift package there")

    import psycopg  # noqa: PLC0415
    from psycopg import sql  # noqa: PLC0415

    from ormshift.extract.typeorm import sync_project  # noqa: PLC0415

    sys.path.insert(0, str(HERE))
    from run import PROJECT, SEED, with_database  # noqa: PLC0415

    name = f"ormshift_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = with_database(args.dsn, name)
    workers: list[Worker] = []
    rounds: dict[str, list[dict[str, Any]]] = {}
    try:
        sync_project(PROJECT, url)
        with psycopg.connect(url, autocommit=True) as conn:
            for statement in SEED:
                conn.execute(statement.encode())
            conn.execute("vacuum analyze")
        wanted = (args.only or "typeorm,async,sync,async-before").split(",")
        with tempfile.TemporaryDirectory(prefix="ormshift-conc-") as scratch:
            if "typeorm" in wanted:
                workers.append(typeorm_worker(url, args.pool, Path(scratch)))
            if "async" in wanted:
                workers.append(python_worker("async", "async", url, args.pool, ROOT / "src"))
            if "sync" in wanted:
                workers.append(python_worker("sync", "sync", url, args.pool, ROOT / "src"))
            if args.before_src is not None and "async-before" in wanted:
                workers.append(
                    python_worker("async-before", "async", url, args.pool, args.before_src)
                )
            for w in workers:
                if "src" in w.ready:
                    print(f"{w.name}: ormshift from {w.ready['src']}", file=sys.stderr)
            for w in workers:
                w.round(args.clients, args.warmup)
            load_before = os.getloadavg()
            started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            for r in range(args.rounds):
                order = workers[r % len(workers) :] + workers[: r % len(workers)]
                for w in order:
                    result = w.round(args.clients, args.seconds)
                    result["load_average_after"] = os.getloadavg()[0]
                    rounds.setdefault(w.name, []).append(result)
                    figures = _round_figures(result)
                    print(
                        f"round {r + 1}: {w.name:12} {figures['ops_per_second']:8.0f} ops/s"
                        f"  p50 {figures['p50']:7.1f}  p99 {figures['p99']:7.1f} ms"
                        f"  CPU {figures['cpu_ms_per_op']:.3f} ms/op"
                        f"  load {result['load_average_after']:.1f}",
                        file=sys.stderr,
                    )
            load_after = os.getloadavg()
    finally:
        for w in workers:
            w.close()
        with psycopg.connect(args.dsn, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
    results = {w: summary(rs) for w, rs in rounds.items()}
    report: dict[str, Any] = {
        "date": started,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "clients": args.clients,
        "pool": args.pool,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "before_src": str(args.before_src) if args.before_src else None,
        # 1-, 5- and 15-minute load averages when the timed rounds began and ended
        "load_average": {"start": load_before, "end": load_after},
        "results": results,
    }
    if "typeorm" in results:
        ts = results["typeorm"]
        report["ratios_vs_typeorm"] = {
            w: {
                "throughput": s["ops_per_second"] / ts["ops_per_second"],
                "p50": s["p50"] / ts["p50"],
                "p99": s["p99"] / ts["p99"],
            }
            for w, s in results.items()
            if w != "typeorm"
        }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)


def print_table(report: dict[str, Any]) -> None:
    results = report["results"]
    print(
        f"{report['clients']} clients, pool {report['pool']}, {report['rounds']} x"
        f" {report['seconds']:g} s each, load average {report['load_average']}"
    )
    names = list(results)
    print(
        "| implementation | ops/s | p50 ms | p99 ms | CPU ms/op | ops/s / TypeORM | p99 / TypeORM |"
    )
    print("|---|---|---|---|---|---|---|")
    ratios = report.get("ratios_vs_typeorm", {})
    for w in names:
        s = results[w]
        ratio = ratios.get(w)
        tail = f"{ratio['throughput']:.2f}x | {ratio['p99']:.2f}x" if ratio else "1 | 1"
        print(
            f"| {w} | {s['ops_per_second']:.0f} | {s['p50']:.2f} | {s['p99']:.2f}"
            f" | {s['cpu_ms_per_op']:.2f} | {tail} |"
        )
    print()
    print("| implementation | round | ops/s | p50 ms | p99 ms | CPU ms/op | load after |")
    print("|---|---|---|---|---|---|---|")
    for w in names:
        for k, f in enumerate(results[w]["per_round"], 1):
            load = f["load_average_after"]
            print(
                f"| {w} | {k} | {f['ops_per_second']:.0f} | {f['p50']:.2f} | {f['p99']:.2f}"
                f" | {f['cpu_ms_per_op']:.3f} | {load if load is None else f'{load:.1f}'} |"
            )
    print()
    print("| operation | " + " | ".join(f"{w} ops/s, p50 / p99 ms" for w in names) + " |")
    print("|---|" + "---|" * len(names))
    for op in OPERATIONS:
        cells = []
        for w in names:
            o = results[w]["operations"][op]
            cells.append(f"{o['ops_per_second']:.0f}, {o['p50']:.2f} / {o['p99']:.2f}")
        print(f"| {op} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
