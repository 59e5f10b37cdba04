"""simple-json and simple-array write exactly the text TypeORM writes: checked against
JavaScript's own ``JSON.stringify`` and ``Array.join`` in Node."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from ormshift.codegen.runtime import render_types

pytestmark = pytest.mark.node

VALUES: list[Any] = [
    {"w": 1.0, "h": 2.5, "tags": ["é", "a,b"], "none": None, "ok": True},
    [1e21, 1e-7, 0.1, 123456789012345680000.0, -0.0, 1.5e-6, 2**53 + 2, -3.25e-10],
    'quote " backslash \\ newline \n tab \t control \u001f line-sep \u2028',
    [],
    {},
    {"nested": {"deep": [[], [{}], [1, [2, [3]]]]}},
    12345.678,
    -1e300,
]


@pytest.fixture(scope="module")
def types_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    path = tmp_path_factory.mktemp("types") / "generated_types.py"
    path.write_text(render_types(), "utf-8")
    module = ModuleType("generated_types")
    sys.modules[module.__name__] = module  # its dataclasses look themselves up there
    try:
        exec(compile(path.read_text("utf-8"), str(path), "exec"), module.__dict__)
        yield module
    finally:
        del sys.modules[module.__name__]


def node(script: str, payload: Any) -> Any:
    result = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_simple_json_matches_json_stringify(types_module: ModuleType) -> None:
    # Python's json reads what JS would get; JS writes it back with JSON.stringify
    script = (
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "console.log(JSON.stringify(JSON.parse(s).map(v=>JSON.stringify(v)))))"
    )
    expected = node(script, VALUES)
    column = types_module.SimpleJson()
    assert [column.process_bind_param(v, None) for v in VALUES] == expected
    for text in expected:  # read back and written again: the same text
        assert column.process_bind_param(column.process_result_value(text, None), None) == text


def test_simple_array_matches_array_join(types_module: ModuleType) -> None:
    arrays = [["a", "b c", "d"], [], ["x"], ["", ""]]
    script = (
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "console.log(JSON.stringify(JSON.parse(s).map(v=>v.map(i=>String(i)).join(',')))))"
    )
    expected = node(script, arrays)
    column = types_module.SimpleArray()
    assert [column.process_bind_param(v, None) for v in arrays] == expected
    assert column.process_result_value("a,b c,d", None) == ["a", "b c", "d"]
    assert column.process_result_value("", None) == []
