"""Names and source layout: deterministic rules, collisions settled in one place."""

from __future__ import annotations

import pytest

from ormshift.codegen.naming import (
    attribute_name,
    enum_class_name,
    enum_member_name,
    find_free_name,
    identifier,
    py_str,
    snake_case,
)
from ormshift.codegen.source import Call, Imports, Seq, render


@pytest.mark.parametrize(
    "text",
    ["plain", "'reader'", '"rating" BETWEEN 1 AND 5', "both ' and \"", "back\\slash", "é\n\t"],
)
def test_py_str_round_trips(text: str) -> None:
    literal = py_str(text)
    assert eval(literal) == text
    # double quotes unless that needs more escapes, as ruff format prefers
    assert literal[0] == ("'" if text.count('"') > text.count("'") else '"')


def test_find_free_name() -> None:
    assert find_free_name("user", set()) == "user"
    assert find_free_name("user", {"user"}) == "user_"
    assert find_free_name("user", {"user", "user_", "user_2"}) == "user_3"


def test_identifiers() -> None:
    assert identifier("class") == "class_"
    assert identifier("9lives") == "_9lives"
    assert identifier("order-line") == "order_line"
    assert attribute_name("metadata") == "metadata_"
    assert attribute_name("registry") == "registry_"
    assert snake_case("PostRating") == "post_rating"
    assert snake_case("HTTPLog") == "http_log"
    assert enum_class_name("post_status_enum") == "PostStatus"
    assert enum_class_name("order_status") == "OrderStatus"
    assert enum_member_name("in_review") == "IN_REVIEW"
    assert enum_member_name("a-b") == "A_B"


def test_render_splits_only_what_does_not_fit() -> None:
    short = Call("mapped_column", ("Integer()", ("primary_key", "True")))
    assert render(short, 1, "id: Mapped[int] = ") == [
        "    id: Mapped[int] = mapped_column(Integer(), primary_key=True)"
    ]
    long = Call(
        "Index",
        (
            '"IDX_726c4285ccee3e33482a80bb38"',
            '"slug"',
            ("unique", "True"),
            ("postgresql_where", Call("text", ("'\"deletedAt\" IS NULL'",))),
        ),
    )
    assert render(long, 2, tail=",") == [
        "        Index(",
        '            "IDX_726c4285ccee3e33482a80bb38",',
        '            "slug",',
        "            unique=True,",
        "            postgresql_where=text('\"deletedAt\" IS NULL'),",
        "        ),",
    ]
    assert render(Seq(("X",)), 0, "t = ") == ["t = (X,)"]


def test_imports_are_sorted_like_isort() -> None:
    imports = Imports()
    imports.add("__future__", "annotations")
    imports.add("sqlalchemy", "text", "DDL", "BigInteger", "CHAR")
    imports.add("datetime")
    imports.add("typing", "Any")
    imports.add(".base", "Base")
    imports.add_type_only(".user", "User")
    assert imports.lines() == [
        "from __future__ import annotations",
        "",
        "import datetime",
        "from typing import TYPE_CHECKING, Any",
        "",
        "from sqlalchemy import CHAR, DDL, BigInteger, text",
        "",
        "from .base import Base",
        "",
        "if TYPE_CHECKING:",
        "    from .user import User",
    ]
