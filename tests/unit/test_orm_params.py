"""TypeORM's named parameters (`:name`, `:...list`) bound as TypeORM binds them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from ormshift.orm.errors import FindOptionsError
from ormshift.orm.manager import _step_amount
from ormshift.orm.params import bind_named
from ormshift.orm.where import RawCondition


def _sql(sql: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    compiled = RawCondition(bind_named(sql, params)).compile(dialect=postgresql.dialect())
    return str(compiled), dict(compiled.params)


def test_a_name_that_is_a_prefix_of_another_binds_the_longest() -> None:
    sql, params = _sql("a >= :n and a < :nn", {"n": 5, "nn": 100})
    assert sql.count("%(") == 2
    assert sorted(params.values()) == [5, 100]


def test_spread_lists_one_value_per_item() -> None:
    sql, params = _sql("a in (:...ids)", {"ids": [1, 2, 3]})
    assert sql.startswith("a in (") and sql.count("%(") == 3 and sql.count(", ") == 2
    assert sorted(params.values()) == [1, 2, 3]


def test_a_list_without_spread_is_one_array_value() -> None:
    sql, params = _sql("a = any(:ids)", {"ids": [1, 2]})
    assert sql.count("%(") == 1 and list(params.values()) == [[1, 2]]


def test_unknown_names_and_casts_stay_as_written() -> None:
    sql, params = _sql("a::text = :v and b = :other", {"v": "x"})
    assert "a::text = %(" in sql and sql.endswith("b = :other")
    assert list(params.values()) == ["x"]


def test_a_repeated_name_is_bound_once() -> None:
    sql, params = _sql("(a = :v or a + 1 = :v)", {"v": 42})
    assert list(params.values()) == [42]
    assert sql.count("%(") == 2


def test_a_function_value_is_sql() -> None:
    sql, params = _sql("a > :now", {"now": lambda: "now()"})
    assert sql == "a > now()" and params == {}


def test_an_increment_amount_is_its_exact_text() -> None:
    assert _step_amount(0.1) == Decimal("0.1") and isinstance(_step_amount(0.1), Decimal)
    assert _step_amount("0.10") == Decimal("0.10")
    assert _step_amount(" 3 ") == 3 and isinstance(_step_amount("3"), int)
    assert _step_amount(5) == 5 and _step_amount("1e3") == 1000
    for bad in ("abc", "", True, None, "NaN", "Infinity", [1]):
        with pytest.raises(FindOptionsError, match="is not a number"):
            _step_amount(bad)
