"""Benchmark: extracting a generated 100-entity TypeORM project.

Measures, in one run and on the same compiled output:
  * compile    - tsc with the project's tsconfig (paid once per extraction)
  * extract    - ormshift's bridge after compilation: node start, load, buildMetadatas,
                 manifest JSON, plus loading and validating that JSON in Python
  * floor      - TypeORM alone: node start, load the entities, buildMetadatas()
Reports medians of N repetitions and the ratio extract / floor.
Usage: python benchmarks/extract/run.py [--entities 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_project import write_project

from ormshift.extract.bridge import bridge_dir, bridge_modules, node_executable, run_script
from ormshift.extract.tsc import compile_project
from ormshift.extract.typeorm import bridge_args
from ormshift.manifest import load

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ormshift-bench-") as tmp:
        project = write_project(Path(tmp) / "project", args.entities)
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        t0 = time.perf_counter()
        compiled = compile_project(project, scratch)
        compile_s = time.perf_counter() - t0
        bargs = bridge_args(project, compiled, None, None)
        files = [bargs[i + 1] for i, a in enumerate(bargs) if a == "--entity"]
        ours, floor, floor_inner = [], [], []
        tables = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            text = run_script("extract.js", bargs, node_path=[bridge_modules()], cwd=project)
            assert isinstance(text, str), text
            manifest = load(text)
            ours.append(time.perf_counter() - t0)
            tables = len(manifest.tables)
            t0 = time.perf_counter()
            proc = subprocess.run(
                [node_executable(), str(HERE / "floor.js"), *files],
                capture_output=True,
                text=True,
                check=True,
                env={"NODE_PATH": str(bridge_modules()), "PATH": "/usr/bin:/bin"},
                cwd=bridge_dir(),
            )
            floor.append(time.perf_counter() - t0)
            floor_inner.append(json.loads(proc.stdout)["inner_s"])
    result = {
        "entities": args.entities,
        "tables": tables,
        "compile_s": round(compile_s, 3),
        "extract_after_compile_s_median": round(statistics.median(ours), 3),
        "typeorm_floor_s_median": round(statistics.median(floor), 3),
        "typeorm_buildMetadatas_inner_s_median": round(statistics.median(floor_inner), 3),
        "ratio_extract_over_floor": round(statistics.median(ours) / statistics.median(floor), 2),
        "target_s": 5.0,
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
