"""``ormshift generate``: a package on good input; on bad input one clear line, a non-zero
exit, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ormshift.cli.main import app
from ormshift.report import read as read_report

from ..golden.support import GOLDEN

MANIFEST = GOLDEN / "blog" / "manifest.json"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str, *needles: str) -> None:
    assert code != 0
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert "Traceback" not in output
    for needle in needles:
        assert needle in lines[0], output


def test_generates_a_package(tmp_path: Path) -> None:
    out = tmp_path / "blog_models"
    code, output = invoke("generate", str(MANIFEST), "-o", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name.removesuffix(".golden") for p in (GOLDEN / "blog").glob("*.golden")
    )
    assert (out / "post.py").read_text("utf-8") == (GOLDEN / "blog" / "post.py.golden").read_text(
        "utf-8"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["blog_models"]  # no staging left


def test_attribute_names_typeorm_keeps_the_property_names(tmp_path: Path) -> None:
    out = tmp_path / "blog_models"
    code, output = invoke("generate", str(MANIFEST), "-o", str(out), "--attribute-names", "typeorm")
    assert code == 0, output
    post = (out / "post.py").read_text("utf-8")
    assert "    viewCount: Mapped[int] = mapped_column(" in post
    assert "view_count" not in post
    default = (GOLDEN / "blog" / "post.py.golden").read_text("utf-8")
    assert "    view_count: Mapped[int] = mapped_column(" in default


def test_unknown_attribute_names(tmp_path: Path) -> None:
    out = tmp_path / "m"
    code, output = invoke("generate", str(MANIFEST), "-o", str(out), "--attribute-names", "camel")
    assert_one_line_error(code, output, "--attribute-names 'camel'", "python, typeorm")
    assert not out.exists()


def test_reports_what_is_not_carried_over(tmp_path: Path) -> None:
    report_path = tmp_path / "generate.json"
    code, output = invoke(
        "generate", str(GOLDEN / "writes" / "manifest.json"), "-o", str(tmp_path / "m"),
        "--report", str(report_path),
    )  # fmt: skip
    assert code == 0, output
    needle = "Task.points: property 'points' is excluded from insert in TypeORM"
    assert f"not carried over: {needle}" in output.replace("\n", " ")
    report = read_report(report_path)
    assert report.kind == "generate" and any(needle in n for n in report.notes)
    assert report.summary is not None
    assert {row[0] for row in report.summary.rows} >= {"base.py", "task.py"}


def test_refuses_a_non_empty_directory_without_force(tmp_path: Path) -> None:
    out = tmp_path / "models"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, output = invoke("generate", str(MANIFEST), "-o", str(out))
    assert_one_line_error(code, output, "not empty", "--force")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    code, output = invoke("generate", str(MANIFEST), "-o", str(out), "--force")
    assert code == 0, output
    assert (out / "post.py").is_file() and not (out / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models"]


def test_empty_directory_is_fine_without_force(tmp_path: Path) -> None:
    out = tmp_path / "models"
    out.mkdir()
    code, output = invoke("generate", str(MANIFEST), "-o", str(out))
    assert code == 0, output


def write_manifest(tmp_path: Path, mutate: object) -> Path:
    data = json.loads(MANIFEST.read_text("utf-8"))
    assert callable(mutate)
    mutate(data)
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_unknown_format_version(tmp_path: Path) -> None:
    path = write_manifest(tmp_path, lambda d: d.update(format_version=99))
    code, output = invoke("generate", str(path), "-o", str(tmp_path / "models"))
    assert_one_line_error(code, output, "format_version 99")
    assert not (tmp_path / "models").exists()


def test_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{"format_version": 1,', "utf-8")
    code, output = invoke("generate", str(path), "-o", str(tmp_path / "models"))
    assert_one_line_error(code, output, "not valid JSON")
    assert not (tmp_path / "models").exists()


def test_dangling_reference(tmp_path: Path) -> None:
    def dangle(data: dict[str, list[dict[str, object]]]) -> None:
        fks = data["tables"][0]["foreign_keys"]
        assert isinstance(fks, list)
        fks[0]["referenced_table"] = "nowhere"

    path = write_manifest(tmp_path, dangle)
    code, output = invoke("generate", str(path), "-o", str(tmp_path / "models"))
    assert_one_line_error(code, output, "'nowhere'")
    assert not (tmp_path / "models").exists()


def test_missing_manifest(tmp_path: Path) -> None:
    code, output = invoke("generate", str(tmp_path / "nope.json"), "-o", str(tmp_path / "m"))
    assert_one_line_error(code, output, "nope.json", "no such")


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("/proc/ormshift_models", "cannot write"),
        ("missing/parent/models", "does not exist"),
        ("a-package", "cannot be a Python package name"),
        ("file.txt", "not a directory"),
    ],
)
def test_unwritable_output(
    tmp_path: Path, target: str, needle: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    code, output = invoke("generate", str(MANIFEST), "-o", target)
    assert_one_line_error(code, output, needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
