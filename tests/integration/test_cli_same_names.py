"""One CLI vocabulary, the options issue 15 made the same everywhere: PROJECT (or
``--project``) for extract and compare, ``schema diff --target-schema`` as migrate's and
verify's, and ``--report FILE`` on schema diff, rollback and health (every outcome of
health, UNKNOWN too), each written as the one report shape ``ormshift report`` reads."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from ormshift.cli.main import app
from ormshift.report import read, render

from ..conftest import CORPUS, DatabaseFactory
from .test_cli_vocabulary import ormshift, warnings_of

SCHEMA = """
create type {s}.mood as enum ('sad', 'ok', 'happy');
create table {s}.person (
    id serial primary key,
    name varchar(40) not null default 'anon',
    mood {s}.mood,
    constraint "UQ_person_name" unique (name)
);
create table {s}.pet (id serial primary key, owner_id int references {s}.person (id));
create index "IDX_pet_owner" on {s}.pet (owner_id);
"""


def run_sql(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)  # type: ignore[arg-type]


def in_schema(url: str, schema: str) -> None:
    run_sql(url, f"create schema if not exists {schema}", SCHEMA.format(s=schema))


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_schema_diff_target_schema_compares_two_schemas(make_db: DatabaseFactory) -> None:
    """One database holding the schema twice (``app`` and ``app_v2``), and a second
    database holding it as ``public``: --target-schema names the target's schema."""
    one, other = make_db("cli15"), make_db("cli15")
    in_schema(one, "app")
    in_schema(one, "app_v2")
    in_schema(other, "public")
    assert invoke("schema", "diff", "--source", one, "--target", one, "--schema", "app",
                  "--target-schema", "app_v2")[0] == 0  # fmt: skip
    code, output = invoke("schema", "diff", "--source", one, "--target", other,
                          "--schema", "app", "--target-schema", "public", "--json")  # fmt: skip
    assert code == 0, output
    assert json.loads(output[output.index("{") :]) == {"equal": True, "differences": []}
    # without --target-schema the target's schema is the source's: `other` has no `app`
    code, output = invoke("schema", "diff", "--source", one, "--target", other, "--schema", "app")
    assert code == 2 and "has no schema 'app'; pass --schema" in output, output

    run_sql(one, "alter table app_v2.pet add column name text",
            'alter table app_v2.person drop constraint "UQ_person_name"')  # fmt: skip
    code, output = invoke("schema", "diff", "--source", one, "--target", one, "--schema", "app",
                          "--target-schema", "app_v2", "--json")  # fmt: skip
    assert code == 1, output
    found = {(d["kind"], d["table"], d["item"]) for d in json.loads(output)["differences"]}
    assert found == {("column-order", "pet", None), ("unique-missing", "person", "UQ_person_name")}
    # the other way round, the same differences, mirrored
    code, output = invoke("schema", "diff", "--source", one, "--target", one,
                          "--schema", "app_v2", "--target-schema", "app", "--json")  # fmt: skip
    assert code == 1
    mirrored = json.loads(output)["differences"]
    assert {(d["kind"], d["table"]) for d in mirrored} == {(k, t) for k, t, _ in found}

    code, output = invoke("schema", "diff", "--source", one, "--target", one,
                          "--target-schema", "nowhere")  # fmt: skip
    assert code == 2 and "has no schema 'nowhere'; pass --target-schema" in output, output


def test_schema_diff_report_holds_what_json_prints(
    make_db: DatabaseFactory, tmp_path: Path
) -> None:
    left, right = make_db("cli15"), make_db("cli15")
    in_schema(left, "public")
    in_schema(right, "public")
    same = tmp_path / "same.json"
    assert (
        invoke("schema", "diff", "--source", left, "--target", right, "--report", str(same))[0] == 0
    )
    written = read(same)
    assert (written.kind, written.status, written.differences) == ("schema-diff", "ok", ())

    run_sql(right, "alter table person add column age smallint")
    report = tmp_path / "diff.json"
    code, output = invoke("schema", "diff", "--source", left, "--target", right, "--json",
                          "--report", str(report))  # fmt: skip
    assert code == 1, output
    printed = json.loads(output)["differences"]
    written = read(report)
    assert written.kind == "schema-diff" and written.status == "differs"
    assert [(d.kind, d.table, d.key) for d in written.differences] == [
        (d["kind"], d["table"] or "", d["item"] or "") for d in printed
    ]
    assert [(d.source, d.target) for d in written.differences] == [
        (json.dumps(d["left"], sort_keys=True), json.dumps(d["right"], sort_keys=True))
        for d in printed
    ]
    assert written.summary is not None
    assert sum(int(row[1] or 0) for row in written.summary.rows) == len(printed)
    assert "column-order" in render(written)  # `ormshift report` reads it


def test_rollback_report(make_db: DatabaseFactory, tmp_path: Path) -> None:
    source, target = make_db("cli15"), make_db("cli15")
    for url in (source, target):
        run_sql(url, "create table item (id serial primary key, v text not null)")
    run_sql(source, "insert into item (v) select 'v' || i from generate_series(1, 25) i")
    code, output = invoke("migrate", "--source", source, "--target", target, "--json")
    assert code == 0, output
    run_id = json.loads(output.splitlines()[0])["run_id"]

    report = tmp_path / "rollback.json"
    code, output = invoke("rollback", run_id, "--target", target, "--json", "--report",
                          str(report))  # fmt: skip
    assert code == 0, output
    printed = json.loads(output)
    assert printed["deleted"] == {"item": 25}
    written = read(report)
    assert (written.kind, written.status, written.run_id) == ("rollback", "ok", run_id)
    assert written.summary is not None
    assert dict((row[0], row[1]) for row in written.summary.rows) == printed["deleted"]
    assert f"{printed['sequences_restored']} sequence(s) restored" in written.notes
    with psycopg.connect(target) as conn:
        assert conn.execute("select count(*) from item").fetchone() == (0,)


def test_health_report_on_every_outcome(make_db: DatabaseFactory, tmp_path: Path) -> None:
    url = make_db("cli15")
    report = tmp_path / "health.json"
    proc = ormshift("health", "--db", url, "--json", "--report", str(report))
    assert proc.returncode in (0, 1, 2), proc.stderr  # OK, WARNING or CRITICAL: it ran
    printed = json.loads(proc.stdout)
    written = read(report)
    assert written.kind == "health"
    status = {"ok": "ok", "warn": "warning", "throttle": "warning", "pause": "critical",
              "abort": "critical"}[printed["status"]]  # fmt: skip
    assert written.status == status
    assert written.summary is not None
    assert [row[0] for row in written.summary.rows] == [p["metric"] for p in printed["probes"]]
    assert "pg_active_connections" in " ".join(str(row[0]) for row in written.summary.rows)

    # a check that could not run: UNKNOWN (3), its report written all the same
    for args in (
        ("--db", "mysql://nobody@127.0.0.1/x"),  # not a PostgreSQL URL
        ("--db", url, "--monitor-config", str(tmp_path / "missing.toml")),
        ("--db", url, "--nosuch"),  # a command line that does not parse
    ):
        unknown = tmp_path / "unknown.json"
        proc = ormshift("health", *args, "--report", str(unknown))
        assert proc.returncode == 3, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        written = read(unknown)
        assert (written.kind, written.status) == ("health", "unknown"), args
        assert written.notes == (lines[0].removeprefix("error: "),)
        unknown.unlink()

    # a report that cannot be written is UNKNOWN too, and said once
    proc = ormshift("health", "--db", url, "--json", "--report", str(tmp_path / "no" / "r.json"))
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert json.loads(proc.stdout)["status"] == "unknown"


def test_compare_takes_the_project_as_positional_or_as_option(
    pg_server_url: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "one.yaml"
    scenario.write_text(
        "models: tests.models.blog\n"
        "scenarios:\n"
        "  - name: one\n"
        "    operations:\n"
        "      - {op: count, entity: Tag, args: [{}]}\n"
    )
    blog = str(CORPUS / "blog")
    report = tmp_path / "compare.json"
    code, output = invoke("compare", blog, "--scenario", str(scenario), "--db", pg_server_url,
                          "--report", str(report))  # fmt: skip
    assert code == 0, output
    assert "1 scenario(s), 1 operation(s)" in output
    assert read(report).title == "compare: one.yaml on blog (sync face)"

    # the old spelling, --project, the same; both at once only when they agree
    code, output = invoke("compare", "--project", blog, "--scenario", str(scenario), "--db",
                          pg_server_url)  # fmt: skip
    assert code == 0 and "1 scenario(s), 1 operation(s)" in output, output
    code, output = invoke("compare", blog, "--project", str(tmp_path), "--scenario",
                          str(scenario), "--db", pg_server_url)  # fmt: skip
    assert code == 2 and "give the project once: as PROJECT or as --project" in output
    code, output = invoke("compare", "--scenario", str(scenario), "--db", pg_server_url)
    assert code == 2 and "give the TypeORM project directory: compare PROJECT" in output


def test_project_from_the_project_file_and_extract_project_option(tmp_path: Path) -> None:
    """``project`` in ormshift.toml is compare's and extract's project; extract takes
    --project as compare does (it is a project, so --db is refused beside it)."""
    (tmp_path / "ormshift.toml").write_text('project = "app"\n')
    proc = ormshift("compare", "--scenario", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --db is missing"), proc.stderr  # the project was found

    proc = ormshift("extract", "--project", "app", "--db", "postgresql://x/y")
    assert proc.returncode == 2
    assert "give either a PROJECT directory or --db URL" in proc.stderr, proc.stderr
    proc = ormshift("extract", "a", "--project", "b")
    assert proc.returncode == 2
    assert "give the project once: as PROJECT or as --project" in proc.stderr, proc.stderr


def test_migrate_log_json_is_the_global_flag(make_db: DatabaseFactory) -> None:
    """``ormshift --log-json`` is the one flag; ``migrate --log-json``, its old spelling,
    still works (hidden), with one warning line."""
    source, target = make_db("cli15"), make_db("cli15")
    for url in (source, target):
        run_sql(url, "create table item (id int primary key)")
    run = ("migrate", "--source", source, "--target", target, "--dry-run")
    old = ormshift(*run, "--log-json")
    assert old.returncode == 0, old.stderr
    assert warnings_of(old) == [
        "warning: migrate --log-json is deprecated; use ormshift --log-json migrate"
    ]
    new = ormshift("--log-json", *run)
    assert new.returncode == 0, new.stderr
    assert warnings_of(new) == []
    assert "--log-json" not in ormshift("migrate", "--help").stdout
    assert "--log-json" in ormshift("--help").stdout
