"""``ormshift.toml``: a run from the project file alone, real ``ormshift`` processes on a
real server — the file's settings applied, flags and environment winning over it, paths
relative to the file, and every broken file one line with nothing written."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.main import get_command

from ormshift import __version__
from ormshift.cli.config import default_map
from ormshift.cli.main import app

from ..conftest import ROOT, DatabaseFactory
from .test_cli_vocabulary import count, ormshift, seeded, warnings_of


def batches(report: Path) -> int:
    summary = json.loads(report.read_text())["summary"]
    column = summary["columns"].index("batches")
    return sum(int(row[column]) for row in summary["rows"])


@pytest.fixture
def pair(make_db: DatabaseFactory) -> tuple[str, str]:
    """A source with 100 rows in ``item`` and a target whose ``item`` is empty."""
    return seeded(make_db, 100), seeded(make_db, 0)


def test_migrate_and_verify_from_the_project_file_alone(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pair
    project = tmp_path / "project"
    project.mkdir()
    (project / "ormshift.toml").write_text(
        'source-env = "CFG_SOURCE"\n'  # the URL itself stays out of the file
        f'target = "{target}"\n'
        'table = ["item"]\n'
        "\n[migrate]\n"
        "batch-size = 30\n"
        'report = "out/run.json"\n'
    )
    (project / "out").mkdir()
    env = {"CFG_SOURCE": source}
    migrated = ormshift("migrate", env=env, cwd=project)
    assert migrated.returncode == 0, migrated.stderr
    assert count(target) == 100
    report = project / "out" / "run.json"
    assert batches(report) == 4  # 100 rows in batches of 30: the file's batch-size

    verified = ormshift("verify", env=env, cwd=project)
    assert verified.returncode == 0, verified.stderr
    assert "identical" in verified.stdout  # the results table is on stdout

    # a flag wins over the file
    again = ormshift("migrate", "--truncate", "--batch-size", "50", env=env, cwd=project)
    assert again.returncode == 0, again.stderr
    assert count(target) == 100
    assert batches(report) == 2


def test_migrate_with_nothing_but_the_project_file(pair: tuple[str, str], tmp_path: Path) -> None:
    """No flag and no variable (the helper clears every URL variable): the file alone."""
    source, target = pair
    (tmp_path / "ormshift.toml").write_text(f'source = "{source}"\ntarget = "{target}"\n')
    proc = ormshift("migrate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert count(target) == 100
    assert warnings_of(proc) == []


def test_config_elsewhere_resolves_paths_against_itself(
    pair: tuple[str, str], tmp_path: Path
) -> None:
    source, target = pair
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "ormshift.toml").write_text(
        f'source = "{source}"\ntarget = "{target}"\n[migrate]\nreport = "run.json"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = ormshift("--config", str(conf / "ormshift.toml"), "migrate", cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert (conf / "run.json").is_file()
    assert list(elsewhere.iterdir()) == []
    # the environment variable of an option wins over the file, as the flag does
    wrong = target.rsplit("/", 1)[0] + "/ormshift_cfg_nosuch"
    proc = ormshift(
        "schema", "diff", env={"ORMSHIFT_CONFIG": str(conf / "ormshift.toml"),
                               "ORMSHIFT_TARGET_URL": wrong}, cwd=elsewhere,
    )  # fmt: skip
    assert proc.returncode == 2 and "ormshift_cfg_nosuch" in proc.stderr, proc.stderr


BROKEN = [
    ("batch-size = [1, 2\n", "not valid TOML"),
    ("bogus = 1\n", "no command takes 'bogus'"),
    ("[migrate]\nbatchsize = 10\n", "migrate takes no 'batchsize'"),
    ("[migrat]\nbatch-size = 10\n", "[migrat] is not a command"),
    ("[migrate]\nbatch-size = 'abc'\n", "'--batch-size'"),
    ("[migrate]\nsource-env = 'CFG_UNSET_VARIABLE'\n", "CFG_UNSET_VARIABLE, which is not set"),
    ("[migrate]\ntarget = ['a', 'b']\n", "takes one value"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_broken_project_file_is_one_line(
    pair: tuple[str, str], tmp_path: Path, text: str, message: str
) -> None:
    source, target = pair
    (tmp_path / "ormshift.toml").write_text(text)
    proc = ormshift(
        "migrate", "--source", source, "--target", target, cwd=tmp_path,
        env={"CFG_UNSET_VARIABLE": ""},
    )  # fmt: skip
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert message in lines[0]
    assert "Traceback" not in proc.stderr
    assert count(target) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ormshift.toml"]


def test_missing_config_file_and_version(tmp_path: Path) -> None:
    proc = ormshift("--config", str(tmp_path / "nope.toml"), "version")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --config") and "no such file" in proc.stderr
    shown = ormshift("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == __version__


def test_health_exit_codes_are_nagios(tmp_path: Path, pg_server_url: str) -> None:
    """0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, with a JSON document on every outcome."""
    closed = "postgresql://postgres@127.0.0.1:1/postgres"
    down = ormshift("health", "--db", closed, "--json")
    assert down.returncode == 3, down.stderr
    assert json.loads(down.stdout)["status"] == "unknown"
    assert len(down.stderr.splitlines()) == 1 and down.stderr.startswith("error: ")
    unparsed = ormshift("health", "--db", "not a url", "--json")
    assert unparsed.returncode == 3
    assert json.loads(unparsed.stdout)["error"]
    config = tmp_path / "m.toml"
    # the probe's own connection is one: a threshold of 1 always holds
    config.write_text("[thresholds.pg_connections]\nwarn = 1\npause = 1\nabort = 1\n")
    critical = ormshift("health", "--db", pg_server_url, "--monitor-config", str(config), "--json")
    assert critical.returncode == 2, critical.stderr
    assert json.loads(critical.stdout)["status"] == "abort"
    config.write_text("[thresholds.pg_connections]\nwarn = 1\n")
    warning = ormshift("health", "--db", pg_server_url, "--monitor-config", str(config), "--json")
    status = json.loads(warning.stdout)["status"]
    # the host may be busy: its own probes can only make it worse than the warning
    assert warning.returncode == {"warn": 1, "throttle": 1, "pause": 2, "abort": 2}[status]


def test_health_json_with_a_broken_project_file(tmp_path: Path, pg_server_url: str) -> None:
    """The file is the check's fault too: UNKNOWN, one line, and still the JSON document."""
    (tmp_path / "ormshift.toml").write_text("[health\n")
    proc = ormshift("health", "--db", pg_server_url, "--json", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    document = json.loads(proc.stdout)
    assert document["status"] == "unknown" and "not valid TOML" in document["error"]
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("error: ")
    plain = ormshift("health", "--db", pg_server_url, cwd=tmp_path)
    assert plain.returncode == 3 and plain.stdout == ""


def test_values_from_the_file_are_not_given_twice(
    pair: tuple[str, str], tmp_path: Path, pg_server_url: str
) -> None:
    """An old spelling on the command line wins over the file's value of the new one (only
    both on the command line is an error)."""
    source, target = pair
    (tmp_path / "ormshift.toml").write_text(
        f'[health]\ndb = "{closed_url()}"\n[verify]\ntable = ["nothing_here"]\n'
    )
    positional = ormshift("health", pg_server_url, "--json", cwd=tmp_path)
    assert positional.returncode in (0, 1, 2), positional.stderr  # probed: not UNKNOWN
    assert json.loads(positional.stdout)["status"] != "unknown"
    assert warnings_of(positional) == ["warning: health DSN is deprecated; use health --db DSN"]
    verified = ormshift(
        "verify", "--source", source, "--target", target, "--tables", "item", cwd=tmp_path
    )
    assert warnings_of(verified) == ["warning: --tables is deprecated; use --table"]
    assert "item" in verified.stdout and "nothing_here" not in verified.stdout + verified.stderr
    both = ormshift("health", "--db", pg_server_url, pg_server_url, cwd=tmp_path)
    assert both.returncode == 3 and "give the database once" in both.stderr


def closed_url() -> str:
    return "postgresql://postgres@127.0.0.1:1/postgres"


def test_the_readme_example_is_a_valid_project_file(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("PROD_DATABASE_URL", "postgresql://app@old-db/app")
    found = default_map(get_command(app), tomllib.loads(block), "migrate", ROOT)
    settings = found["migrate"]
    assert settings["source"] == "postgresql://app@old-db/app"
    assert settings["table"] == ["author", "book"]
    assert settings["batch_size"] == 20000 and settings["max_cpu"] == 85
    assert settings["report"] == str(ROOT / "runs" / "migrate.json")
    verify = default_map(get_command(app), tomllib.loads(block), "verify", ROOT)["verify"]
    assert set(verify) == {"source", "target", "table"}  # the top level and nothing of [migrate]
