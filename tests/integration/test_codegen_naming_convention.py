"""The generated packages' naming convention gives the names TypeORM's own
``DefaultNamingStrategy`` gives, run in Node on the same tables and columns."""

from __future__ import annotations

import json
import subprocess

import pytest

from ormshift.codegen.naming_convention import typeorm_name
from ormshift.extract.bridge import bridge_dir, node_executable

pytestmark = pytest.mark.node

#: (table, columns, where): sorting by UTF-16 code units (the emoji before U+FF61),
#: schema-qualified tables, upper case before lower, a partial index's predicate
CASES: list[tuple[str, list[str], str | None]] = [
    ("post", ["id"], None),
    ("post_tags_tag", ["tagId", "postId"], None),
    ("billing.account", ["ownerId"], None),
    ("user", ["name", "Name", "_x", "a_b"], None),
    ("t", ["\uff61", "\U0001f600", "z"], None),
    ("ünïcode", ["é", "e"], None),
    ("post", ["slug"], '"deletedAt" IS NULL'),
    ("post", [], None),
]
CHECKS = [("chapter", '"number" > 0'), ("billing.charge", "amount >= 0")]

_SCRIPT = """
const { DefaultNamingStrategy } = require("typeorm");
const s = new DefaultNamingStrategy();
const [cases, checks] = JSON.parse(process.argv[1]);
console.log(JSON.stringify({
  names: cases.map(([t, c, w]) => [
    s.primaryKeyName(t, c), s.foreignKeyName(t, c), s.uniqueConstraintName(t, c),
    s.relationConstraintName(t, c), s.indexName(t, c, w ?? undefined),
  ]),
  checks: checks.map(([t, e]) => s.checkConstraintName(t, e)),
}));
"""


def test_names_are_typeorms_default_strategy() -> None:
    result = subprocess.run(
        [node_executable(), "-e", _SCRIPT, json.dumps([CASES, CHECKS])],
        cwd=bridge_dir(),
        capture_output=True,
        text=True,
        check=True,
    )
    typeorm = json.loads(result.stdout)
    ours = [
        [
            typeorm_name("PK_", table, columns),
            typeorm_name("FK_", table, columns),
            typeorm_name("UQ_", table, columns),
            typeorm_name("REL_", table, columns),
            typeorm_name("IDX_", table, columns, where),
        ]
        for table, columns, where in CASES
    ]
    assert ours == typeorm["names"]
    assert [typeorm_name("CHK_", t, [e]) for t, e in CHECKS] == typeorm["checks"]
    # not vacuous: the code-unit order is not Python's code-point order
    assert sorted(["\uff61", "\U0001f600"]) != ["\U0001f600", "\uff61"]
