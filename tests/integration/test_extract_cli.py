"""``ormshift extract`` end to end, and every kind of bad input it can meet: one line on
stderr, a non-zero exit, no traceback, no output file left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ormshift.extract import sync_project
from ormshift.extract.database import reflect
from ormshift.manifest import read
from ormshift.report import read as read_report

from ..conftest import CORPUS, ROOT, with_password

pytestmark = pytest.mark.node

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2021",
        "module": "commonjs",
        "experimentalDecorators": True,
        "emitDecoratorMetadata": True,
        "strict": True,
        "strictPropertyInitialization": False,
        "skipLibCheck": True,
        "rootDir": "src",
        "outDir": "dist",
    },
    "include": ["src/**/*.ts"],
}

GOOD_ENTITY = """
import { Entity, PrimaryGeneratedColumn, Column } from "typeorm";

@Entity()
export class Invoice {
  @PrimaryGeneratedColumn() id: number;
  @Column() number: string;
}
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ormshift", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def make_project(root: Path, files: dict[str, str], tsconfig: dict[str, object] = TSCONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "tsconfig.json").write_text(json.dumps(tsconfig))
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_extract_writes_manifest_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "blog.json"
    report = tmp_path / "report.json"
    proc = run("extract", str(CORPUS / "blog"), "-o", str(out), "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    manifest = read(out)
    summary = read_report(report).summary
    assert summary is not None
    assert [row[0] for row in summary.rows] == [t.name for t in manifest.tables]
    assert {t.name for t in manifest.tables} >= {"user", "post", "comment"}
    assert "entities" in proc.stderr and "wrote" in proc.stderr
    assert manifest.source.typeorm_version == "1.1.1"


def test_extract_to_stdout_and_entities_glob(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"src/billing/Invoice.ts": GOOD_ENTITY})
    proc = run("extract", str(project), "--entities", "src/billing/*.ts")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [t["name"] for t in data["tables"]] == ["invoice"]
    assert [c["name"] for c in data["tables"][0]["columns"]] == ["id", "number"]
    assert not (project / "dist").exists(), "the project must not be written to"


def test_missing_project(tmp_path: Path) -> None:
    proc = run("extract", str(tmp_path / "absent"), "-o", str(tmp_path / "m.json"))
    assert_one_line_error(proc, "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_no_entity_files(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"src/index.ts": "export const x = 1;\n"})
    assert_one_line_error(run("extract", str(project)), "no entity files found", "--entities")


def test_files_without_entity_classes(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"src/entity/util.ts": "export const x = 1;\n"})
    assert_one_line_error(run("extract", str(project)), "no TypeORM entity classes found")


def test_node_not_installed(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    assert shutil.which("node", path=env["PATH"]) is None
    out = tmp_path / "m.json"
    proc = run("extract", str(CORPUS / "blog"), "-o", str(out), env=env)
    assert_one_line_error(proc, "node is not installed")
    assert not out.exists()


def test_typescript_compile_errors(tmp_path: Path) -> None:
    broken = GOOD_ENTITY.replace("@Column() number: string;", "@Column() number: Strin;")
    project = make_project(tmp_path / "p", {"src/entity/Invoice.ts": broken})
    out = tmp_path / "m.json"
    line = assert_one_line_error(
        run("extract", str(project), "-o", str(out)), "TypeScript compilation", "TS2"
    )
    assert "Invoice.ts" in line and "Strin" in line
    assert not out.exists()


def test_missing_decorator_metadata(tmp_path: Path) -> None:
    options = {**TSCONFIG["compilerOptions"], "emitDecoratorMetadata": False}  # type: ignore[dict-item]
    project = make_project(
        tmp_path / "p",
        {"src/entity/Invoice.ts": GOOD_ENTITY},
        {**TSCONFIG, "compilerOptions": options},
    )
    assert_one_line_error(
        run("extract", str(project)), "Invoice", "emitDecoratorMetadata", "explicit type"
    )


def test_typeorm_validation_error(tmp_path: Path) -> None:
    no_primary = """
import { Entity, Column } from "typeorm";

@Entity()
export class AuditLine {
  @Column({ type: "text" }) message: string;
}
"""
    project = make_project(tmp_path / "p", {"src/entity/AuditLine.ts": no_primary})
    assert_one_line_error(
        run("extract", str(project)), "TypeORM rejected the entities", "AuditLine", "primary"
    )


def test_output_not_writable(tmp_path: Path) -> None:
    proc = run("extract", str(CORPUS / "blog"), "-o", str(tmp_path / "nope" / "m.json"))
    assert_one_line_error(proc, "does not exist")
    proc = run("extract", str(CORPUS / "blog"), "-o", str(tmp_path))
    assert_one_line_error(proc, "is a directory")
    assert list(tmp_path.iterdir()) == []


def test_from_db_matches_reflection(fresh_db: str, tmp_path: Path) -> None:
    sync_project(CORPUS / "blog", fresh_db)
    out = tmp_path / "db.json"
    proc = run("extract", "--db", fresh_db, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    with psycopg.connect(fresh_db) as conn:
        assert read(out) == reflect(conn)


def test_from_db_unreachable(tmp_path: Path) -> None:
    proc = run("extract", "--db", "postgresql://app:hunter2@127.0.0.1:1/shop")
    line = assert_one_line_error(proc, "no server answers")
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "***" in line


def test_from_db_empty_database(fresh_db: str) -> None:
    assert_one_line_error(run("extract", "--db", fresh_db), "has no tables")


def test_from_db_wrong_password(password_server: str) -> None:
    secret = "wr0ng-s3cret"
    url = with_password(password_server, secret)
    assert secret in url
    proc = run("extract", "--db", url)
    assert_one_line_error(proc, "refused the user name or password")
    assert secret not in proc.stderr + proc.stdout


def test_features_not_carried_over_are_warned_about(tmp_path: Path) -> None:
    entity = """
import { Entity, PrimaryGeneratedColumn, Column, BeforeInsert } from "typeorm";

const cents = { to: (v: number) => Math.round(v * 100), from: (v: number) => v / 100 };

@Entity()
export class Payment {
  @PrimaryGeneratedColumn() id: number;
  @Column({ type: "int", transformer: cents }) amount: number;
  @BeforeInsert() stamp() { this.amount = this.amount || 0; }
}
"""
    project = make_project(tmp_path / "p", {"src/entity/Payment.ts": entity})
    out = tmp_path / "m.json"
    proc = run("extract", str(project), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    warnings = {(w.entity, w.property, w.feature) for w in read(out).warnings}
    assert warnings == {("Payment", "amount", "transformer"), ("Payment", "stamp", "listener")}
    assert "warning: Payment.amount: transformer" in proc.stderr


def test_project_typeorm_is_preferred_over_the_bridge(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"src/entity/Invoice.ts": GOOD_ENTITY})
    own = project / "node_modules" / "typeorm"
    shutil.copytree(ROOT / "bridge" / "node_modules" / "typeorm", own, symlinks=True)
    package = json.loads((own / "package.json").read_text())
    package["version"] = "1.1.1-project-copy"
    (own / "package.json").write_text(json.dumps(package))
    out = tmp_path / "m.json"
    proc = run("extract", str(project), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert read(out).source.typeorm_version == "1.1.1-project-copy"


def test_data_source_with_entity_globs_and_naming_strategy(tmp_path: Path) -> None:
    data_source = """
import { DataSource, DefaultNamingStrategy } from "typeorm";

class PrefixedNames extends DefaultNamingStrategy {
  primaryKeyName(tableOrName: any, columnNames: string[]): string {
    return "pk_" + this.getTableName(tableOrName) + "_" + columnNames.join("_");
  }
}

export const Billing = new DataSource({
  type: "postgres",
  entities: ["src/billing/**/*.ts"],
  namingStrategy: new PrefixedNames(),
});
"""
    project = make_project(
        tmp_path / "p",
        {"src/config/db.ts": data_source, "src/billing/Invoice.ts": GOOD_ENTITY},
    )
    proc = run("extract", str(project), "--data-source", "src/config/db.ts")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"]["naming_strategy"] == "PrefixedNames"
    assert data["tables"][0]["primary_key"]["name"] == "pk_invoice_id"


def test_data_source_without_a_data_source_export(tmp_path: Path) -> None:
    project = make_project(
        tmp_path / "p",
        {"src/db.ts": "export const settings = { type: 'postgres' };\n",
         "src/entity/Invoice.ts": GOOD_ENTITY},
    )  # fmt: skip
    assert_one_line_error(
        run("extract", str(project), "--data-source", "src/db.ts"), "exports no DataSource"
    )
