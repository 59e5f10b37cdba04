"""TypeORM's tree entities on `ormshift.orm`: what a tree class is (`meta`), how its
writes keep the closure table, the materialized path and the nested-set bounds as
TypeORM's subject executors write them (`maintain`), and TypeORM's ``TreeRepository``
(`repository`)."""

from ormshift.orm.trees.meta import TreeInfo, tree_of

__all__ = ["TreeInfo", "tree_of"]
