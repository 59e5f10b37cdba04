"""What a ported application loads in production: ``import ormshift.orm`` brings
SQLAlchemy and psycopg, not the CLI, the harness or the monitoring stack;
``import ormshift.experiment`` (shadow runs in production) the standard library only,
not the TypeORM harness it used to live in; and private
SQLAlchemy names are imported in one module only (`ormshift.orm.internals`)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ormshift"

#: top-level modules ``import ormshift.orm`` must not load
FORBIDDEN = {
    "typer",
    "click",
    "rich",
    "yaml",
    "psutil",
    "prometheus_client",
    "jsonschema",
    "matplotlib",
    "alembic",
}
#: ormshift packages a production import must not reach
FORBIDDEN_OWN = (
    "ormshift.cli",
    "ormshift.compare",
    "ormshift.monitor",
    "ormshift.extract",
    "ormshift.codegen",
    "ormshift.transfer",
    "ormshift.verify",
    "ormshift.report",
)


def _loaded(module: str) -> set[str]:
    """The modules a fresh interpreter has loaded after ``import module``."""
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_import_ormshift_orm_loads_only_the_runtime() -> None:
    loaded = _loaded("ormshift.orm")
    tops = {name.split(".")[0] for name in loaded}
    assert "sqlalchemy" in tops and "psycopg" in tops
    assert sorted(tops & FORBIDDEN) == []
    assert sorted(n for n in loaded if n.startswith(FORBIDDEN_OWN)) == []


def test_import_ormshift_experiment_loads_no_harness() -> None:
    loaded = _loaded("ormshift.experiment")
    tops = {name.split(".")[0] for name in loaded}
    assert sorted(tops & (FORBIDDEN | {"sqlalchemy", "psycopg"})) == []
    assert sorted(n for n in loaded if n.startswith(FORBIDDEN_OWN)) == []
    assert sorted(n for n in loaded if n.startswith("ormshift")) == [
        "ormshift",
        "ormshift.errors",
        "ormshift.experiment",
    ]


def test_private_sqlalchemy_names_are_imported_in_one_module() -> None:
    offenders: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "orm" / "internals.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                module_private = any(part.startswith("_") for part in node.module.split("."))
                names = [a.name for a in node.names if a.name.startswith("_")]
                if module_private or names:
                    offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
