"""TypeORM's persistence rules on top of SQLAlchemy's unit of work.

``save`` merges the caller's graph into the session (SQLAlchemy's ``merge`` walks every
relation), then undoes what TypeORM would not write: a related entity is inserted only
along a relation cascading ``insert``, updated only along one cascading ``update``;
links are kept either way (a foreign key, a junction row), as TypeORM keeps them. A new
entity along an owning to-one relation without ``insert`` fails as TypeORM fails
(``UpdateValuesMissingError``). Columns TypeORM never inserts (``insert: false``,
generated ``increment`` keys) or never updates (``update: false``) are left out. A
reference (``{id: 2}`` made by `create`, `writes.is_reference`) is set aside while
merging: its foreign key is written, the referenced row neither loaded nor written, and
the caller's graph keeps it as given. What is written back into each entity depends on
what its row went through (`writeback`): inserted, updated, or left as it was.

``remove`` deletes the given rows only, by key (with the junction rows of their
many-to-many relations, as TypeORM deletes them), after the given related entities
along relations cascading ``remove``; rows it was not given are the foreign keys'
business, so a referenced row fails with the database's error as in TypeORM.

``soft_remove`` / ``recover`` set or clear the delete date of the given entities and,
along relations cascading ``soft-remove`` / ``recover``, of the given related ones;
the given to-many collections are linked as ``save`` links them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from sqlalchemy import Table, and_, delete, func, insert, inspect, select, update
from sqlalchemy.orm import MANYTOMANY, MANYTOONE, ONETOMANY, RelationshipProperty, Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from ormshift.orm.errors import (
    MissingDeleteDateColumn,
    SubjectWithoutIdentifier,
    UpdateValuesMissing,
)
from ormshift.orm.insert_order import Replay, replay
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.transformers import flush
from ormshift.orm.trees import maintain as trees
from ormshift.orm.writeback import Kind, write_back
from ormshift.orm.writes import (
    is_reference,
    reference_values,
    restrict,
    soft_delete_stamps,
    stamp_values,
)

__all__ = [
    "Saved",
    "after_flush",
    "remove_graph",
    "save_graph",
    "set_deleted_graph",
    "write_persisted",
]

UPDATE_VALUES_MISSING = (
    "Cannot perform update query because update values are not defined. "
    'Call "qb.set(...)" method to specify updated values.'
)


#: what a save does to a row taken out of a collection, other than nullify its key
Orphaned = Literal["delete", "soft-delete", "disable"]


@dataclass
class Saved:
    """What `save_graph` merged: (caller's object, persistent object) pairs, the ids
    of the persistent objects that are inserted and of those whose columns change."""

    pairs: list[tuple[Any, Any]] = field(default_factory=list)
    new: set[int] = field(default_factory=set)
    changed: set[int] = field(default_factory=set)
    #: junction rows of many-to-many members not written (`_junction_row`)
    links: list[tuple[Any, Any, dict[str, Any]]] = field(default_factory=list)
    #: (persistent object, the foreign key values its caller's references name)
    references: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    #: the new rows in TypeORM's order, to tell its first failure (`insert_order`)
    replay: Replay | None = None
    #: (parent, collection key, member, action) taken out of a collection and not
    #: nullified: ``delete``, ``soft-delete`` or ``disable`` (`_set_orphans_aside`)
    orphans: list[tuple[Any, str, Any, Orphaned]] = field(default_factory=list)

    def orphaned(self, action: Orphaned) -> list[Any]:
        """The members ``action`` applies to, in key order."""
        return [member for _, _, member, done in self.orphans if done == action]

    def kind(self, persisted: Any) -> Kind:
        """What TypeORM writes back for ``persisted`` once flushed."""
        if id(persisted) in self.new:
            return "insert"
        return "update" if id(persisted) in self.changed else "nothing"


@dataclass
class _Walk:
    seen: set[int] = field(default_factory=set)
    pairs: list[tuple[Any, Any]] = field(default_factory=list)
    insert_ok: set[int] = field(default_factory=set)
    update_ok: set[int] = field(default_factory=set)
    refused: list[tuple[Any, str, Any, Any]] = field(default_factory=list)
    roots: set[int] = field(default_factory=set)


def _walk(src: Any, merged: Any, walk: _Walk) -> None:
    """Pair ``src`` with ``merged`` and decide, for each related entity the caller set,
    whether TypeORM would write it."""
    if id(src) in walk.seen or merged is None:
        return
    walk.seen.add(id(src))
    walk.pairs.append((src, merged))
    info = entity_info(type(src))
    given = inspect(src).dict
    for key, rel in info.relations.items():
        value = given.get(key)
        if value is None:
            continue
        cascades = info.cascades(key)
        mine = list(value) if rel.uselist else [value]
        theirs_value = getattr(merged, key)
        if theirs_value is None:
            continue
        theirs = list(theirs_value) if rel.uselist else [theirs_value]
        for child, persisted in zip(mine, theirs, strict=False):
            if persisted is None or id(child) in walk.seen or id(persisted) in walk.roots:
                continue  # written on its own account (a back reference, another root)
            if inspect(persisted).pending:
                if "insert" in cascades:
                    walk.insert_ok.add(id(persisted))
                    _walk(child, persisted, walk)
                else:
                    walk.refused.append((merged, key, rel, persisted))
            elif "update" in cascades:
                walk.update_ok.add(id(persisted))
                _walk(child, persisted, walk)


def _leave_out(obj: Any, keys: frozenset[str]) -> None:
    """Unset ``keys`` on a pending object: the INSERT leaves them to the database."""
    state = inspect(obj)
    for key in keys & state.dict.keys():
        delattr(obj, key)


def _keep(obj: Any, keys: frozenset[str]) -> None:
    """Undo changes to ``keys`` on a persistent object: the UPDATE leaves them."""
    attrs = inspect(obj).attrs
    for key in keys:
        history = attrs[key].history
        if history.added:
            set_committed_value(obj, key, history.deleted[0] if history.deleted else None)


def _hide_references(items: list[Any]) -> list[tuple[Any, str, Any]]:
    """Take the references (`is_reference`) out of the caller's new or detached
    entities, so that merging writes their foreign keys only; (entity, key, reference)
    to put back."""
    hidden: list[tuple[Any, str, Any]] = []
    seen: set[int] = set()
    stack = list(items)
    while stack:
        obj = stack.pop()
        state = inspect(obj, raiseerr=False)
        if id(obj) in seen or state is None:
            continue
        seen.add(id(obj))
        if state.persistent or state.pending or state.deleted:
            continue
        info = entity_info(type(obj))
        given = state.dict
        for key, rel in info.relations.items():
            value = given.get(key)
            if value is None:
                continue
            if is_reference(info, obj, key):
                hidden.append((obj, key, given.pop(key)))
            else:
                stack.extend(value if rel.uselist else [value])
    return hidden


def save_graph(session: Session, items: list[Any], *, hooked: bool = False) -> Saved:
    """Merge ``items`` into ``session`` as TypeORM's save would write them (not flushed).

    The caller's graph is left as given: references stay, nothing is added. ``hooked``:
    listeners or subscribers run before the insert and may fill in what a row lacks, so
    the rows are not judged before them (`insert_order.replay`)."""
    walk = _Walk()
    # in a transaction the session may hold the caller's own pending and modified
    # objects: only what this merge made or changed is judged here
    pending_before = {id(o) for o in session.new}
    dirty_before = {id(o) for o in session.dirty}
    hidden = _hide_references(items)
    try:
        merged = [session.merge(obj) for obj in items]
        walk.roots = roots = {id(m) for m in merged}
        for obj, persisted in zip(items, merged, strict=True):
            _walk(obj, persisted, walk)
    finally:
        for obj, key, reference in hidden:
            set_committed_value(obj, key, reference)
    written = {id(obj): persisted for obj, persisted in walk.pairs}
    references = [
        (written[id(obj)], reference_values(entity_info(type(obj)), key, reference))
        for obj, key, reference in hidden
        if id(obj) in written
    ]
    references += _nulls_over_links(walk.pairs)
    links: list[tuple[Any, Any, dict[str, Any]]] = []
    for parent, key, rel, child in walk.refused:
        if rel.direction is MANYTOONE:
            raise UpdateValuesMissing(UPDATE_VALUES_MISSING)
        if rel.uselist:
            collection = getattr(parent, key)
            if child in collection:
                collection.remove(child)
            link = _junction_row(rel, child)
            if link is not None:
                links.append((parent, rel, link))
        else:
            set_committed_value(parent, key, None)
    for obj, persisted in walk.pairs:
        _distinct_collections(obj, persisted)
    made = [o for o in session.new if id(o) not in pending_before]
    for obj in made:
        if id(obj) not in roots and id(obj) not in walk.insert_ok:
            session.expunge(obj)
    keep = roots | walk.update_ok | dirty_before
    for obj in list(session.dirty):
        if id(obj) not in keep:
            session.expire(obj)
    made = [o for o in made if o in session]
    new = {id(o) for o in made}
    for obj, key, _ in hidden:
        persisted = written.get(id(obj))
        if persisted is not None and id(persisted) in new:
            _unlink(persisted, key)
    for obj in made:
        info = entity_info(type(obj))
        _leave_out(obj, info.no_insert | info.sibling_columns)
        disc = info.discriminator
        if disc is not None and info.mapper.polymorphic_identity is None:
            setattr(obj, disc[0], disc[1])  # SQLAlchemy sets only a mapped identity
    changed: set[int] = {id(m) for m in _relink_soft_deleted(walk.pairs)}
    for src, persisted in walk.pairs:
        if id(persisted) not in new:
            info = entity_info(type(persisted))
            _keep(persisted, info.kept_on_save | info.sibling_columns)
            # a column, or the key a many-to-one sets (a collection's new member)
            attrs = inspect(persisted).attrs
            keys = [*info.columns, *info.owning_relations]
            if any(attrs[key].history.has_changes() for key in keys) or _subclass_given(info, src):
                changed.add(id(persisted))
            if _null_relation_given(info, src, persisted):
                changed.add(id(persisted))
    orphans = _set_orphans_aside(walk.pairs)
    trees.begin(session, walk.pairs)
    # TypeORM's subjects: the entities given, then what cascades from them
    subjects = [m for m in merged if id(m) in new]
    subjects += [p for _, p in walk.pairs if id(p) in new and id(p) not in roots]
    subjects = list({id(o): o for o in subjects}.values())
    plan = None if hooked else replay(subjects)
    if plan is not None:
        plan.refuse(session.connection())
    return Saved(walk.pairs, new, changed, links, references, plan, orphans)


def _relink_soft_deleted(pairs: list[tuple[Any, Any]]) -> list[Any]:
    """The members of a saved one-to-many collection soft-deleted in the database:
    TypeORM reads the collection's rows without them (RelationIdLoader), so each one it
    is given is a row newly linked, whose key it writes (an UPDATE: the version bumped,
    the update date set), unless the relation cascades inserts and not updates (the
    member's subject cannot be updated). Their keys are flagged for the flush."""
    found: list[Any] = []
    for persisted, key, rel in _saved_collections(pairs):
        target = entity_info(rel.mapper.class_)
        hidden = target.delete_date
        cascades = entity_info(type(persisted)).cascades(key)
        if hidden is None or ("insert" in cascades and "update" not in cascades):
            continue
        for member in inspect(persisted).attrs[key].history.unchanged:
            if inspect(member).persistent and getattr(member, hidden) is not None:
                for _, remote in rel.local_remote_pairs:
                    flag_modified(member, target.mapper.get_property_by_column(remote).key)
                found.append(member)
    return found


def _saved_collections(
    pairs: list[tuple[Any, Any]],
) -> Iterator[tuple[Any, str, RelationshipProperty[Any]]]:
    """(persistent object, key, relationship) of each one-to-many collection a save
    was given (loaded into the session's object), in the pairs' order."""
    for _, persisted in pairs:
        state = inspect(persisted)
        for key, rel in entity_info(type(persisted)).relations.items():
            if rel.direction is ONETOMANY and not rel.viewonly and key in state.dict:
                yield persisted, key, rel


def orphan_action(rel: RelationshipProperty[Any]) -> Orphaned | None:
    """What TypeORM's OneToManySubjectBuilder does to a row taken out of the one-to-many
    ``rel`` other than nullify its key (None): nothing for ``orphanedRowAction:
    "disable"`` (no subject), a soft delete for ``"soft-delete"``, a delete when a join
    column is ``NOT NULL`` (it cannot nullify). ``"delete"`` is SQLAlchemy's own
    ``delete-orphan`` cascade."""
    if rel.cascade.delete_orphan:
        return None
    kept = rel.info.get("orphans")
    if kept in ("disable", "soft-delete"):
        return cast(Orphaned, kept)
    if all(r.nullable for _, r in rel.local_remote_pairs):
        return None
    return "delete"


def _set_orphans_aside(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, str, Any, Orphaned]]:
    """The rows taken out of a saved one-to-many collection that TypeORM does not
    nullify (`orphan_action`): each is put back into the session's collection so that
    the flush does not clear its foreign key, then deleted or soft-deleted after the
    inserts and updates (`after_flush`); (parent, key, member, action) in key order."""
    written = {id(persisted) for _, persisted in pairs}
    found: list[tuple[Any, str, Any, Orphaned]] = []
    for persisted, key, rel in _saved_collections(pairs):
        action = orphan_action(rel)
        # TypeORM reads a one-to-many's rows in the database without the soft-deleted
        # ones (RelationIdLoader): a soft-deleted row is never one of its orphans
        hidden = entity_info(rel.mapper.class_).delete_date
        removed = [
            m
            for m in inspect(persisted).attrs[key].history.deleted
            if inspect(m).persistent and id(m) not in written
        ]
        collection = getattr(persisted, key)
        for member in removed:
            gone = hidden is not None and getattr(member, hidden) is not None
            if action is None and not gone:
                continue
            collection.append(member)
            if rel.back_populates:
                # the member's side unchanged: no UPDATE of it (nor its version)
                set_committed_value(member, rel.back_populates, persisted)
            found.append((persisted, key, member, "disable" if gone else cast(Orphaned, action)))
    return sorted(found, key=lambda o: (type(o[2]).__name__, repr(inspect(o[2]).identity)))


def _unlink(persisted: Any, key: str) -> None:
    """A new entity given a reference along ``key`` (``comment.post = {id: 2}``) inside
    another entity's collection (``post.comments``): TypeORM's changed-columns step sets
    the reference over the collection's link, so the row is inserted with the key the
    reference names (and fails there when it names no row, before any later UPDATE);
    the link the merge made is taken out so the flush inserts the key already set."""
    state = inspect(persisted)
    target = state.dict.get(key)
    if target is None:
        return
    back = entity_info(type(persisted)).relations[key].back_populates
    reverse = entity_info(type(target)).relations.get(back) if back else None
    if reverse is not None:
        members = inspect(target).dict.get(reverse.key)
        if reverse.uselist and members is not None and persisted in members:
            kept = [m for m in members if m is not persisted]
            set_committed_value(target, reverse.key, kept)
        elif not reverse.uselist and members is persisted:
            set_committed_value(target, reverse.key, None)
    set_committed_value(persisted, key, None)


def _null_relation_given(info: EntityInfo, src: Any, persisted: Any) -> bool:
    """The caller set a many-to-one (or owning one-to-one) to None: TypeORM's
    ``OrmUtils.compareIds`` finds no null equal to the database's null, so the row is
    updated (its foreign key set to NULL again) even when it was NULL; the foreign key
    columns are marked for the UPDATE here. Whether any was."""
    given = inspect(src).dict
    found = False
    for key in info.owning_relations:
        if key not in given or given[key] is not None or is_reference(info, src, key):
            continue
        rel = info.relations[key]
        if rel.viewonly:
            continue
        for local, _ in rel.local_remote_pairs:
            if local.table is not info.table:
                continue
            attr = info.mapper.get_property_by_column(local).key
            if getattr(persisted, attr) is None:
                flag_modified(persisted, attr)
        found = True
    return found


def _nulls_over_links(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, dict[str, Any]]]:
    """The entities whose caller set a many-to-one (or owning one-to-one) to None:
    TypeORM's changed-columns step writes the entity's own null over the link a saved
    collection it is in makes (``post.comments = [{id: 1, post: null}]`` writes NULL,
    and fails on a ``NOT NULL`` column); (persisted, its foreign key values: None), for
    `after_flush` to write where the flush linked them."""
    found: list[tuple[Any, dict[str, Any]]] = []
    for src, persisted in pairs:
        info = entity_info(type(persisted))
        given = inspect(src).dict
        nulls: dict[str, Any] = {}
        for key in info.owning_relations:
            rel = info.relations[key]
            if key not in given or given[key] is not None or rel.viewonly:
                continue
            for local, _ in rel.local_remote_pairs:
                if local.table is info.table:
                    nulls[info.mapper.get_property_by_column(local).key] = None
        if nulls:
            found.append((persisted, nulls))
    return found


def _subclass_given(row: EntityInfo, src: Any) -> bool:
    """The caller gave a column its row's class does not have (a subclass's column
    given to a ``Vehicle`` whose row is a ``Vehicle``): TypeORM loads the row as the
    class its discriminator names, without that column, so the column differs and the
    row is updated."""
    info = entity_info(type(src))
    if len(info.record_set) == len(info.columns) and info is row:
        return False
    given = inspect(src).dict
    return any(k in given and k not in row.record_set for k in info.columns)


def _junction_row(rel: Any, child: Any) -> dict[str, Any] | None:
    """The junction columns (by key) naming ``child``, a many-to-many member that is
    not written (no ``insert`` cascade) and not in the database, when it has a key:
    TypeORM links it all the same, and the junction's foreign key refuses it."""
    junction = rel.secondary
    if rel.direction is not MANYTOMANY or not isinstance(junction, Table):
        return None
    target = entity_info(type(child))
    values = {}
    for remote, column in rel.secondary_synchronize_pairs or ():
        value = getattr(child, target.mapper.get_property_by_column(remote).key, None)
        if value is None:
            return None
        values[column.key] = value
    return values


def _distinct_collections(obj: Any, persisted: Any) -> None:
    """One member once in each collection of ``persisted`` (``tags: [{id: 1}, {id: 1}]``
    is one link, as TypeORM makes it); the caller's many-to-many collections lose the
    repeats too, as TypeORM's do."""
    state = inspect(persisted)
    given = inspect(obj).dict
    info = entity_info(type(persisted))
    for key, rel in info.relations.items():
        if not rel.uselist or key not in state.dict:
            continue
        collection = state.dict[key]
        seen: set[int] = set()
        repeats = []
        for i, member in enumerate(collection):
            if id(member) in seen:
                repeats.append(i)
            seen.add(id(member))
        if not repeats:
            continue
        mine = given.get(key)
        if rel.direction is MANYTOMANY and obj is not persisted and mine is not None:
            kept = [m for i, m in enumerate(mine) if i not in repeats]
            set_committed_value(obj, key, kept)
        for i in reversed(repeats):
            del collection[i]


def after_flush(session: Session, saved: Saved) -> None:
    """What TypeORM writes that the flush did not: a foreign key as the entity's own
    reference names it where the collection it was given in pointed it elsewhere
    (``post.comments = [{post: {id: 7}}]``: TypeORM keeps 7); the junction rows of
    `_junction_row` (which fail, as in TypeORM)."""
    trees.end(session)
    for persisted, values in saved.references:
        info = entity_info(type(persisted))
        moved = {k: v for k, v in values.items() if getattr(persisted, k) != v}
        if not moved:
            continue
        ident = _identity(info, persisted)
        assert ident is not None
        session.connection().execute(
            update(info.table)
            .where(_by_key(info, ident))
            .values({info.columns[k].key: v for k, v in moved.items()})
        )
        for key, value in moved.items():
            set_committed_value(persisted, key, value)
    for parent, rel, values in saved.links:
        info = entity_info(type(parent))
        row = dict(values)
        for local, column in rel.synchronize_pairs:
            row[column.key] = getattr(parent, info.mapper.get_property_by_column(local).key)
        session.connection().execute(insert(rel.secondary).values(row))
    _delete_orphans(session, saved.orphans)


def _delete_orphans(session: Session, orphans: list[tuple[Any, str, Any, Orphaned]]) -> None:
    """`_set_orphans_aside`'s rows by key: deleted (and taken out of the session), then
    soft-deleted (TypeORM's soft removes run after its removes: its SoftDeleteQueryBuilder,
    the version bumped and the update date set, a row already soft-deleted left), or left
    as they are; each taken out of its parent's collection."""
    connection = session.connection()
    for action in ("delete", "soft-delete", "disable"):
        for parent, key, member, done in orphans:
            if done != action:
                continue
            info = entity_info(type(member))
            ident = _identity(info, member)
            if ident is not None and action == "delete":
                connection.execute(delete(info.table).where(_by_key(info, ident)))
            elif ident is not None and action == "soft-delete":
                _soft_delete_row(session, info, member, ident)
            kept = [m for m in getattr(parent, key) if m is not member]
            set_committed_value(parent, key, kept)
            if action == "delete" and member in session:
                session.expunge(member)


def _soft_delete_row(session: Session, info: EntityInfo, member: Any, ident: Any) -> None:
    sets = stamp_values(info, soft_delete_stamps(info))
    deleted = info.columns[info.delete_date or ""]
    stmt = update(info.table).where(_by_key(info, ident), deleted.is_(None)).values(sets)
    session.connection().execute(stmt)
    if member in session:
        session.expire(member)


def write_persisted(obj: Any, persisted: Any, *, kind: Kind) -> None:
    """`write_back` from the session's copy of ``obj`` (nothing when it is ``obj``)."""
    if obj is persisted:
        return
    if kind == "insert":
        # TypeORM's RETURNING brings a defaulted column back even when it was given (an
        # interval's text as the database has it); the flush kept the value given
        info = entity_info(type(obj))
        given = inspect(obj).dict
        read = [
            k
            for k, c in info.columns.items()
            if c.server_default is not None and k in given and k not in info.primary
        ]
        session = inspect(persisted).session
        if read and session is not None:
            session.refresh(persisted, attribute_names=read)
    write_back(obj, lambda key: getattr(persisted, key), kind=kind)


def _identity(info: EntityInfo, obj: Any) -> tuple[Any, ...] | None:
    values = tuple(getattr(obj, k, None) for k in info.primary)
    return None if any(v is None for v in values) else values


def _by_key(info: EntityInfo, ident: tuple[Any, ...]) -> Any:
    cond = and_(*(info.columns[k] == v for k, v in zip(info.primary, ident, strict=True)))
    return restrict(info, cond)


def _remove(session: Session, obj: Any, seen: set[int], removed: list[Any]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    info = entity_info(type(obj))
    ident = _identity(info, obj)
    if ident is None:
        raise SubjectWithoutIdentifier(
            f"{info.name} has no primary key value: TypeORM cannot remove it (save it first)"
        )
    where = _by_key(info, ident)
    connection = session.connection()
    # TypeORM removes nothing it cannot find, but cascades from it all the same
    found = connection.execute(select(*info.table.primary_key.columns).where(where)).first()
    given = inspect(obj).dict
    after: list[Any] = []
    for key, rel in info.relations.items():
        value = given.get(key)
        # a reference (``{id: 2}``) is removed too: TypeORM's cascade takes the entity it
        # is given, whatever it holds
        if value is None or "remove" not in info.cascades(key):
            continue
        children = list(value) if rel.uselist else [value]
        if rel.direction is MANYTOONE:
            after += children  # this row holds the key: it goes first
        else:
            for child in children:
                _remove(session, child, seen, removed)
    if found is not None:
        _delete_row(session, info, ident, where, obj, removed)
    for child in after:
        _remove(session, child, seen, removed)


def _delete_row(
    session: Session, info: EntityInfo, ident: Any, where: Any, obj: Any, removed: list[Any]
) -> None:
    """The row's junction rows, its tree bookkeeping, then the row."""
    connection = session.connection()
    done: set[Any] = set()
    for rel in info.relations.values():
        junction = rel.secondary
        if rel.direction is not MANYTOMANY or not isinstance(junction, Table):
            continue
        pairs = tuple(
            (local, remote) for local, remote in rel.synchronize_pairs if local.table is info.table
        )
        marker = (junction, tuple(r for _, r in pairs))
        if not pairs or marker in done:
            continue
        done.add(marker)
        row = dict(zip(info.primary, ident, strict=True))
        keys = {info.mapper.get_property_by_column(local).key: remote for local, remote in pairs}
        connection.execute(
            delete(junction).where(and_(*(remote == row[k] for k, remote in keys.items())))
        )
    trees.before_delete(connection, info, ident)
    connection.execute(delete(info.table).where(where))
    # the session (a transaction's) must not hand the deleted row out again
    held = session.identity_map.get(session.identity_key(info.cls, ident))
    if held is not None:
        session.expunge(held)
    removed.append(obj)


def remove_graph(session: Session, items: list[Any]) -> None:
    """Delete the rows of ``items`` (and of what cascades ``remove``), keys cleared."""
    removed: list[Any] = []
    seen: set[int] = set()
    for obj in items:
        _remove(session, obj, seen, removed)
    for obj in [*items, *removed]:
        for key in entity_info(type(obj)).primary:
            setattr(obj, key, None)


def _soft(
    session: Session,
    obj: Any,
    deleted: bool,
    pairs: list[tuple[Any, Any]],
    seen: set[int],
    *,
    root: bool,
) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    info = entity_info(type(obj))
    ident = _identity(info, obj)
    if info.delete_date is None:
        # TypeORM's SoftDeleteQueryBuilder refuses the class, for the given entity and for
        # one a cascade reaches (a row it loaded: none with no key or no row)
        if root or (ident is not None and _row(session, info, ident) is not None):
            raise MissingDeleteDateColumn(info.name)
        return
    if ident is None:
        return  # TypeORM finds no row to load, so it writes (and raises) nothing
    persisted = _row(session, info, ident)
    if persisted is None:
        pass  # TypeORM's UPDATE finds no row, and says nothing; it cascades all the same
    elif (getattr(persisted, info.delete_date) is not None) == deleted:
        # already soft-removed (or already live): TypeORM writes nothing to the row and
        # gives back only its nulls
        write_back(obj, lambda key: getattr(persisted, key), kind="unchanged")
    else:
        setattr(persisted, info.delete_date, func.now() if deleted else None)
        pairs.append((obj, persisted))
    cascade = "soft-remove" if deleted else "recover"
    given = inspect(obj).dict
    for key, rel in info.relations.items():
        value = given.get(key)
        if value is None:
            continue  # (a reference, `{id: 2}`, cascades as any entity: TypeORM's)
        children = list(value) if rel.uselist else [value]
        target = entity_info(rel.mapper.class_)
        if rel.uselist and persisted is not None:
            linked = []
            for child in children:
                child_ident = _identity(target, child)
                found = None
                if child_ident is not None:
                    one = child_ident if len(child_ident) > 1 else child_ident[0]
                    found = session.get(target.cls, one)
                if found is not None:
                    linked.append(found)
            setattr(persisted, key, linked)
        if cascade in info.cascades(key):
            for child in children:
                _soft(session, child, deleted, pairs, seen, root=False)


def _row(session: Session, info: EntityInfo, ident: tuple[Any, ...]) -> Any:
    return session.get(info.cls, ident if len(ident) > 1 else ident[0])


def set_deleted_graph(session: Session, items: list[Any], deleted: bool) -> None:
    """Soft-remove (``deleted``) or recover ``items`` and what cascades along; the delete
    dates (and what else the database set) written back."""
    pairs: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    for obj in items:
        _soft(session, obj, deleted, pairs, seen, root=True)
    flush(session)
    for obj, persisted in pairs:
        session.refresh(persisted)
        write_persisted(obj, persisted, kind="soft")
