"""What `ormshift.orm.trees` reads a tree from: the generated cms models (a closure
table, a nested set, a materialized path) and a class that is no tree."""

from __future__ import annotations

from pathlib import Path

from ormshift.orm.guard import tree_applies
from ormshift.orm.metadata import entity_info
from ormshift.orm.trees import tree_of
from tests.golden.support import generated, imported


def test_tree_kinds_of_the_cms_models(tmp_path: Path) -> None:
    with imported(generated("cms"), tmp_path) as models:
        category = tree_of(entity_info(models.Category))
        department = tree_of(entity_info(models.Department))
        menu = tree_of(entity_info(models.Menu))
        content = entity_info(models.Content)
        assert tree_of(content) is None and not tree_applies(content)
    assert category is not None and category.kind == "closure-table"
    assert category.closure is not None and category.closure.name == "category_closure"
    assert [c.name for c in category.ancestors] == ["id_ancestor"]
    assert [c.name for c in category.descendants] == ["id_descendant"]
    assert department is not None and department.kind == "nested-set"
    assert (department.left, department.right) == ("nsleft", "nsright")
    assert menu is not None and menu.kind == "materialized-path" and menu.path == "mpath"
    for tree in (category, department, menu):
        assert (tree.parent, tree.children) == ("parent", "children")
        assert tree.parent_columns == ("parent_id",) and tree.referenced == ("id",)
