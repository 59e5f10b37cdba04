"""The shared mapping model and its TOML/YAML loader (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormshift.mapping import (
    ColumnMapping,
    MappingError,
    load_mapping,
    parse_mapping,
    snake_case,
)

YAML = """
names: snake_case
tables:
  userProfile:
    target: profiles
    columns:
      fullName: display_name
      tags: {transform: simple-array}
      settings: {target: prefs, transform: simple-json}
      score: {cast: "numeric(10,2)"}
      label: {expression: "upper(\\"fullName\\")"}
    skip: [legacy]
    ignore: [audit]
"""

TOML = """
names = "snake_case"

[tables.userProfile]
target = "profiles"
skip = ["legacy"]
ignore = ["audit"]

[tables.userProfile.columns]
fullName = "display_name"
tags = { transform = "simple-array" }
settings = { target = "prefs", transform = "simple-json" }
score = { cast = "numeric(10,2)" }
label = { expression = 'upper("fullName")' }
"""


def test_snake_case_spells_names_as_typeorm() -> None:
    assert snake_case("createdAt") == "created_at"
    assert snake_case("userID") == "user_id"
    assert snake_case("HTMLParser") == "html_parser"
    assert snake_case("already_snake") == "already_snake"


@pytest.mark.parametrize(("name", "text"), [("m.yaml", YAML), ("m.toml", TOML), ("m", TOML)])
def test_toml_and_yaml_read_the_same(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    m = load_mapping(path)
    t = m.table("userProfile")
    assert t.target == "profiles" and t.skip == ("legacy",) and t.ignore == ("audit",)
    assert t.column("fullName") == ColumnMapping("fullName", "display_name")
    assert t.column("tags") == ColumnMapping("tags", "tags", "simple-array")
    assert t.column("settings").target == "prefs"
    assert t.column("score").cast == "numeric(10,2)"
    assert t.column("createdAt").target == "created_at"  # not named: the names rule
    assert [c.expression for c in t.computed()] == ['upper("fullName")']
    assert m.table("orderLine").target == "order_line"


def test_verify_files_still_read() -> None:
    m = parse_mapping({"tables": {"user": {"columns": {"a": "b"}, "ignore": ["x"]}}})
    assert m.table("user").column("a").target == "b"
    assert m.table("other").target == "other"
    assert m.table("user").column("c") == ColumnMapping("c", "c")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tabels": {}}, "unknown key 'tabels'"),
        ({"tables": {"t": {"colums": {}}}}, "table t: unknown key 'colums'"),
        ({"tables": {"t": {"columns": {"a": {"tranform": "x"}}}}}, "unknown key 'tranform'"),
        ({"tables": {"t": {"columns": {"a": {"transform": "csv"}}}}}, "unknown transform 'csv'"),
        ({"names": "kebab"}, "unknown names rule 'kebab'"),
        ({"tables": {"t": {"skip": "a"}}}, "expected a list"),
        ({"tables": {"t": {"columns": {"a": 3}}}}, "expected a target name"),
        (["t"], "one key"),
        ({"tables": {"t": [1]}}, "must be a mapping"),
    ],
)
def test_bad_mapping_is_one_line(data: object, message: str) -> None:
    with pytest.raises(MappingError, match=message) as info:
        parse_mapping(data)
    assert "\n" not in str(info.value)


def test_not_toml_nor_yaml(tmp_path: Path) -> None:
    for name, text, message in (
        ("m.toml", "tables = [", "not valid TOML"),
        ("m.yaml", "tables: [a", "not valid YAML"),
        ("m.txt", "tables: [a", "neither TOML nor YAML"),
        ("m.cfg", "just words", "neither TOML nor YAML"),
    ):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(MappingError, match=message) as info:
            load_mapping(path)
        assert "\n" not in str(info.value)
    with pytest.raises(MappingError, match=r"missing\.toml: no such mapping file"):
        load_mapping(tmp_path / "missing.toml")
