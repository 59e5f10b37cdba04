"""``set_find_options({...})``: TypeORM's ``setFindOptions`` on a builder.

TypeORM's Repository is itself ``createQueryBuilder(...).setFindOptions(options)`` and a
terminal (``find`` is ``getMany``, ``count`` ``getCount``, ``findAndCount``
``getManyAndCount``, ``exists`` ``getExists``). ormshift's Repository compiles find
options its own way (`ormshift.orm.query`), so a builder holding find options runs its
terminal through that same compiler: ``get_many`` is ``manager.find(Entity, **options)``,
``get_one`` the first of them (TypeORM's ``getOne`` adds no ``take``), ``get_count``
``count``, ``get_many_and_count`` ``find_and_count`` (TypeORM's lazy count: the count
known from the page, else ``count``), ``get_exists`` ``exists``.

Find options set on a builder that already holds its own calls are merged into them
(`find_merge`); calls made after find options set on a builder holding nothing else are
refused at the terminal with `FindOptionsCombined`, ``with_deleted()`` (the
``withDeleted`` option) and ``call_listeners`` excepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ormshift.orm.errors import EntityNotFound
from ormshift.orm.options import FindOptions, relation_tree, select_tree
from ormshift.orm.querybuilder.errors import QueryBuilderError
from ormshift.orm.querybuilder.state import ExpressionMap, Selection

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = ["FindOptionsCombined", "alone", "checked", "run_found"]


class FindOptionsCombined(NotImplementedError):
    """``set_find_options`` on a builder that also holds its own conditions, joins,
    order, pages or selections: not supported (TypeORM merges them; ormshift would need a
    second find-options compiler for that)."""


def checked(em: ExpressionMap, options: Any) -> dict[str, Any]:
    """``options`` as TypeORM's ``setFindOptions`` takes them: ``join`` and the
    string-array ``select`` / ``relations`` refused as TypeORM refuses them, the rest
    checked by the Repository's own parser."""
    main = em.main
    if main is None or main.info is None:
        raise QueryBuilderError("set_find_options needs an entity as the main alias")
    if not isinstance(options, Mapping):
        raise QueryBuilderError(f"find options are a mapping, not {type(options).__name__}")
    if options.get("join") is not None:
        raise QueryBuilderError(
            '"join" option has been removed. Use "relations" for left joins '
            "or QueryBuilder for other join types."
        )
    found = dict(options)
    opts = FindOptions.of(found, main.info)
    relation_tree(main.info, opts.relations)
    select_tree(main.info, opts.select)
    return found


def alone(em: ExpressionMap) -> bool:
    """Nothing on the builder but its main alias (selected whole) and ``with_deleted``."""
    main = em.main
    assert main is not None
    return (
        em.aliases == [main]
        and em.selects == [Selection(main.name)]
        and not em.joins
        and not em.wheres
        and not em.havings
        and not em.group_bys
        and not em.order_bys
        and em.limit is None
        and em.offset is None
        and em.skip is None
        and em.take is None
        and not em.distinct
        and not em.distinct_on
        and em.lock_mode is None
        and em.on_locked is None
        and not em.relation_ids
    )


def run_found(manager: EntityManager, em: ExpressionMap, terminal: str) -> Any:
    """``terminal`` (``get_many``, ``get_one``, ``get_one_or_fail``, ``get_count``,
    ``get_many_and_count``, ``get_exists``) of a builder holding find options."""
    main = em.main
    assert main is not None and main.info is not None and em.find_options is not None
    if not alone(em):
        raise FindOptionsCombined(
            "set_find_options on a builder with its own conditions, joins, order, pages, "
            "selections or locks is not supported; put them all in the find options"
        )
    options = dict(em.find_options)
    if em.with_deleted:
        options["withDeleted"] = True
    cls = main.info.cls
    info = main.info
    listeners = em.call_listeners
    if terminal == "get_many":
        return manager._run_find(info, FindOptions.of(options, info), listeners=listeners)
    if terminal in ("get_one", "get_one_or_fail"):
        rows = manager._run_find(info, FindOptions.of(options, info), one=True, listeners=listeners)
        if rows or terminal == "get_one":
            return rows[0] if rows else None
        raise EntityNotFound(info.name, em.parameters)
    if terminal == "get_count":
        return manager.count(cls, **options)
    if terminal == "get_many_and_count":
        return manager._find_and_count(cls, options, listeners=listeners)  # type: ignore[arg-type]
    if terminal == "get_exists":
        return manager.exists(cls, **options)
    raise FindOptionsCombined(
        f"{terminal} of a builder with find options is not supported "
        "(get_many, get_one, get_one_or_fail, get_count, get_many_and_count, get_exists are)"
    )
