"""The manifest model: exact JSON round trips, a shipped JSON Schema that does not drift,
and one clear message for each way a manifest file can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ormshift.errors import ManifestError, OutputError
from ormshift.manifest import (
    FORMAT_VERSION,
    Column,
    Entity,
    EntityColumn,
    EnumType,
    ForeignKey,
    Index,
    Manifest,
    PrimaryKey,
    Relation,
    Source,
    Table,
    dump,
    load,
    read,
    write,
)
from ormshift.manifest.jsonschema import render_schema, shipped_schema


def sample() -> Manifest:
    customer = Table(
        name="customer",
        columns=(
            Column("id", "uuid", False, default="uuid_generate_v4()", generation="uuid"),
            Column("email", "character varying", False, length=320),
            Column("tier", "enum", False, default="'basic'", enum_name="customer_tier_enum"),
            Column("balance", "numeric", True, precision=14, scale=2),
            Column("tags", "text", False, array=True, default="'{}'"),
        ),
        primary_key=PrimaryKey("PK_a7a13f4cacb744524e44dfdad32", ("id",)),
        indices=(Index("IDX_email", ("email",), unique=True, where="\"tier\" <> 'gone'"),),
    )
    order = Table(
        name="order",
        columns=(
            Column("id", "integer", False, generation="increment"),
            Column("customerId", "uuid", True),
        ),
        primary_key=PrimaryKey("PK_1031171c13130102495201e3e20", ("id",)),
        foreign_keys=(
            ForeignKey(
                "FK_124456e637cca7a415897dce659",
                ("customerId",),
                "customer",
                ("id",),
                on_delete="CASCADE",
                deferrable="INITIALLY DEFERRED",
            ),
        ),
    )
    return Manifest(
        source=Source(kind="typeorm", typeorm_version="1.1.1"),
        tables=(customer, order),
        enums=(EnumType("customer_tier_enum", ("basic", "gold")),),
        entities=(
            Entity(
                name="Order",
                table="order",
                columns=(EntityColumn("id", "id", "Number", primary=True, generation="increment"),),
                relations=(
                    Relation(
                        "customer", "many-to-one", "Customer", owning=True, cascade=("insert",)
                    ),
                ),
            ),
            Entity(name="Customer", table="customer"),
        ),
        extensions=("uuid-ossp",),
    )


def test_round_trip_is_exact() -> None:
    manifest = sample()
    text = dump(manifest)
    assert load(text) == manifest
    assert dump(load(text)) == text
    assert json.loads(text)["format_version"] == FORMAT_VERSION


def test_defaults_are_left_out_of_the_json() -> None:
    data = json.loads(dump(sample()))
    column = data["tables"][1]["columns"][0]
    assert column == {"name": "id", "type": "integer", "nullable": False, "generation": "increment"}


def test_shipped_json_schema_matches_the_model() -> None:
    assert shipped_schema() == json.loads(render_schema())


def test_file_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    write(sample(), target)
    assert read(target) == sample()
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(format_version=99), "format_version 99 is not supported"),
        (lambda d: d.pop("format_version"), "format_version None is not supported"),
        (lambda d: d["tables"][0]["columns"][0].update(nullable="no"), "'no' is not of type"),
        (lambda d: d["tables"][0].update(colour="red"), "'colour' was unexpected"),
        (
            lambda d: d["tables"][1]["foreign_keys"][0].update(referenced_table="client"),
            "references unknown table 'client'",
        ),
        (
            lambda d: d["entities"][0]["relations"][0].update(target="Ghost"),
            "targets unknown entity 'Ghost'",
        ),
        (
            lambda d: d["tables"][0]["columns"][2].update(enum_name="nope"),
            "unknown enum type 'nope'",
        ),
    ],
)
def test_bad_manifests_say_what_is_wrong(mutate: object, expected: str) -> None:
    data = json.loads(dump(sample()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ManifestError) as info:
        load(json.dumps(data), "m.json")
    message = str(info.value)
    assert expected in message
    assert message.startswith("m.json")
    assert "\n" not in message


def test_invalid_json_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"not valid JSON \(line 1"):
        load("{nope", "x.json")
    with pytest.raises(ManifestError, match="no such manifest file"):
        read(tmp_path / "absent.json")


def test_unwritable_target_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        write(sample(), tmp_path / "missing" / "m.json")
    assert list(tmp_path.iterdir()) == []
