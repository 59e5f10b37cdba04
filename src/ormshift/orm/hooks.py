"""Where `ormshift.orm` calls entity listeners and subscribers: TypeORM's points.

TypeORM's ``Broadcaster`` calls, for each event, the entity's listeners first (only
when the entity is an instance of the class: a plain object of values has none), then
every subscriber whose ``listen_to()`` is the class, a base of it, or nothing. The
points, as TypeORM 1.1.1 has them:

* ``save`` / ``remove`` / ``soft_remove`` / ``recover`` (the unit of work,
  ``EntityPersistExecutor`` and ``SubjectExecutor``): each row the call names by key is
  loaded first (``after_load`` on that loaded copy, the ``database_entity``); when
  there is anything to write, a transaction of its own unless one is open (transaction
  events), then every ``before_*`` event, the statements (with what the listeners
  changed), the values the database made written back (a removed entity's key
  cleared), every ``after_*`` event, the commit;
* ``insert`` / ``upsert`` / ``update`` / ``delete`` / ``soft_delete`` / ``restore`` /
  ``increment`` / ``decrement`` (TypeORM's query builders): ``before_insert`` /
  ``after_insert`` with each value set as given, ``before_update`` / ``after_update``
  with the values, ``before_remove`` ... with no entity; no transaction;
* every find: ``after_load`` on every entity loaded, related entities first
  (TypeORM's ``broadcastLoadEvent``);
* ``DataSource.transaction`` and savepoints: the six transaction events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ONETOMANY, LoaderCallableStatus, Session
from sqlalchemy.orm.attributes import set_committed_value

from ormshift.orm.bridge import settled
from ormshift.orm.errors import QueryFailed
from ormshift.orm.insert_order import typeorm_order
from ormshift.orm.listeners import (
    InsertEvent,
    LoadEvent,
    RemoveEvent,
    TransactionEvent,
    UpdateEvent,
    listeners_of,
)
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.transformers import flush
from ormshift.orm.writeback import Kind
from ormshift.orm.writes import restrict

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

__all__ = [
    "fire",
    "loaded",
    "query_event",
    "remove",
    "save",
    "set_deleted",
    "transaction_event",
]


def _allowed(subscriber: Any, cls: type[Any]) -> bool:
    """TypeORM's ``isAllowedSubscriber``: no ``listen_to``, ``object``, the class or a
    base of it."""
    listen = getattr(subscriber, "listen_to", None)
    target = listen() if callable(listen) else None
    return (
        target is None or target is object or (isinstance(target, type) and issubclass(cls, target))
    )


def fire(manager: EntityManager, event: str, cls: type[Any], entity: Any, payload: Any) -> int:
    """``event`` for ``entity`` of ``cls``: its listeners, then the subscribers'; how
    many were called."""
    called = 0
    if entity is not None and isinstance(entity, cls):
        for name in listeners_of(cls).get(event, ()):
            settled(getattr(entity, name)())
            called += 1
    for subscriber in manager.subscribers:
        method = getattr(subscriber, event, None)
        if method is not None and _allowed(subscriber, cls):
            settled(method(payload))
            called += 1
    return called


def transaction_event(manager: EntityManager, event: str) -> None:
    """A transaction event (``before_transaction_start`` ...) to every subscriber."""
    for subscriber in manager.subscribers:
        method = getattr(subscriber, event, None)
        if method is not None:
            settled(method(TransactionEvent(manager)))


def query_event(manager: EntityManager, event: str, cls: type[Any], values: Sequence[Any]) -> None:
    """What TypeORM's query builders broadcast: ``event`` for each value set (an
    insert's), or once with the values of an update, or with no entity."""
    for value in values:
        if event.endswith(("insert", "update")):
            kind: Any = InsertEvent if event.endswith("insert") else UpdateEvent
            fire(manager, event, cls, value, kind(manager, value, cls))
        else:
            fire(manager, event, cls, value, RemoveEvent(manager, value, cls))


# ---------------------------------------------------------------------------- loads
def loaded(manager: EntityManager, cls: type[Any], entities: Sequence[Any]) -> None:
    """``after_load`` for ``entities`` of ``cls`` and what was loaded with them."""
    _load(manager, cls, list(entities), ())


def _load(
    manager: EntityManager, cls: type[Any], entities: list[Any], path: tuple[int, ...]
) -> None:
    info = entity_info(cls)
    names = listeners_of(cls).get("after_load", ())
    subscribers: list[Any] = [
        s for s in manager.subscribers if getattr(s, "after_load", None) and _allowed(s, cls)
    ]
    if not (info.relations or names or subscribers):
        return
    for key, rel in info.relations.items():
        for entity in entities:
            state = inspect(entity, raiseerr=False)
            if state is None or id(entity) in path:
                continue
            value = state.dict.get(key)
            if value is None:
                continue
            children = list(value) if rel.uselist else [value]
            _load(manager, rel.mapper.class_, children, (*path, id(entity)))
    for name in names:
        for entity in entities:
            if isinstance(entity, cls):
                settled(getattr(entity, name)())
    for subscriber in subscribers:
        for entity in entities:
            settled(subscriber.after_load(entity, LoadEvent(manager, entity, cls)))


# ------------------------------------------------------------------- units of work
class _Unit:
    """One save / remove / soft remove / recover: its session, and the transaction it
    opens (with TypeORM's transaction events) when none is open."""

    def __init__(self, manager: EntityManager, session: Session, own: bool) -> None:
        self.outer = manager
        self.own = own
        self.started = False
        self.manager = manager.bound(session)
        self.session = session

    def start(self) -> None:
        if self.own and not self.started:
            self.started = True
            # TypeORM loads the unit's database entities before its START TRANSACTION
            # (EntityPersistExecutor): what the reads did, an after_load subscriber's
            # writes among them, stays when the unit then fails. The reads ran in the
            # driver's implicit transaction; end it here, and the writes' first
            # statement begins the unit's own (psycopg begins one before a statement
            # outside a transaction).
            self.session.connection().exec_driver_sql("COMMIT")
            transaction_event(self.outer, "before_transaction_start")
            transaction_event(self.manager, "after_transaction_start")


@contextmanager
def _unit(manager: EntityManager) -> Iterator[_Unit]:
    """The unit's session; its transaction's events when it opens one (TypeORM's
    ``before_transaction_commit`` / ``_rollback`` inside it, the ``after_`` ones and
    ``before_transaction_start`` outside it, as a query runner's manager runs them)."""
    unit: _Unit | None = None
    # TypeORM's persist executor drops the error of its rollbackTransaction and throws
    # the original one; after a failed statement its before_transaction_rollback runs
    # in the aborted transaction (a subscriber's query there fails with 25P02), and a
    # rollback whose event failed stops there: no ROLLBACK, no after_transaction_rollback
    rolled = True
    try:
        with manager._scope(atomic=True) as session:
            unit = _Unit(manager, session, not manager.in_transaction)
            try:
                yield unit
            except BaseException as exc:
                if unit.started:
                    # (translated into QueryFailed further out)
                    unit.manager.aborted = isinstance(exc, QueryFailed | DBAPIError)
                    try:
                        transaction_event(unit.manager, "before_transaction_rollback")
                    except Exception:
                        rolled = False
                    finally:
                        unit.manager.aborted = False
                raise
            if unit.started:
                transaction_event(unit.manager, "before_transaction_commit")
    except BaseException:
        if unit is not None and unit.started and rolled:
            with suppress(Exception):
                transaction_event(manager, "after_transaction_rollback")
        raise
    if unit is not None and unit.started:
        transaction_event(manager, "after_transaction_commit")


def _database_copy(info: EntityInfo, persisted: Any) -> Any:
    """A detached copy of ``persisted`` with the values its row has (before this save)."""
    state = inspect(persisted)
    copy = info.mapper.class_manager.new_instance()
    for key in info.columns:
        if key in state.committed_state:
            value = state.committed_state[key]
        elif key in state.dict:
            value = state.dict[key]
        else:
            continue
        if value is LoaderCallableStatus.NO_VALUE:
            continue  # never loaded
        set_committed_value(copy, key, value)
    return copy


def _changed(info: EntityInfo, persisted: Any) -> tuple[list[str], list[str]]:
    """TypeORM's ``diffColumns`` and ``diffRelations`` of an update: the properties
    whose values change, and the relations whose join columns do (a join column with
    no property of its own, ``info["relation"]``, counts for its relation only)."""
    attrs = inspect(persisted).attrs
    joins = {k: c.info.get("relation") for k, c in info.columns.items()}
    changed = {k for k in info.columns if attrs[k].history.has_changes()}
    columns = [info.property_of(k) for k in info.columns if k in changed and not joins[k]]
    relations = [
        r
        for r in info.owning_relations
        if attrs[r].history.has_changes() or any(joins[k] == r for k in changed)
    ]
    return columns, relations


def _recomputed(
    before: tuple[list[str], list[str]], now: tuple[list[str], list[str]]
) -> tuple[list[str], list[str]]:
    """What TypeORM's recompute after the before-events leaves in the lists: new
    columns appended, every changed relation appended again (it does not check)."""
    columns = before[0] + [c for c in now[0] if c not in before[0]]
    return columns, before[1] + now[1]


def _values(info: EntityInfo, obj: Any) -> dict[str, Any]:
    given = inspect(obj).dict
    return {k: given[k] for k in info.columns if k in given}


def _carry(info: EntityInfo, obj: Any, persisted: Any, before: dict[str, Any], new: bool) -> None:
    """What a listener changed on the caller's ``obj``, onto the session's copy."""
    if obj is persisted:
        return
    never = info.no_insert if new else info.kept_on_save
    for key, value in _values(info, obj).items():
        if key in never:
            continue
        if key not in before or before[key] is not value:
            setattr(persisted, key, value)


def save(manager: EntityManager, items: list[Any]) -> None:
    """TypeORM's ``save`` with listeners and subscribers (see the module)."""
    from ormshift.orm.persist import after_flush, save_graph, write_persisted  # noqa: PLC0415

    with _unit(manager) as unit:
        session = unit.session
        saved = save_graph(session, items, hooked=True)
        rows = _database_entities(unit.manager, session, [obj for obj, _ in saved.pairs])
        plan: list[tuple[Any, Any, EntityInfo, Kind, Any]] = []
        for obj, persisted in saved.pairs:
            info = entity_info(type(persisted))
            kind = saved.kind(persisted)
            db = None
            if kind != "insert":
                db = rows.get(id(obj)) or _database_copy(info, persisted)
            plan.append((obj, persisted, info, kind, db))
        unlinked = _unlinked(saved.pairs)
        # (event suffix, (class, key) of each orphan): removes, then soft removes
        orphans = (
            ("remove", [*_keyed(saved.orphaned("delete")), *_deleted_orphans(saved.pairs)]),
            ("soft_remove", _keyed(saved.orphaned("soft-delete"))),
        )
        idle = not any(kind != "nothing" for _, _, _, kind, _ in plan)
        if idle and not saved.links and not unlinked and not any(o for _, o in orphans):
            return
        unit.start()
        snapshots = [_values(info, obj) for obj, _, info, _, _ in plan]
        called = 0
        diffs: dict[int, tuple[list[str], list[str]]] = {}
        # TypeORM's broadcastBeforeEventsForAll: every insert's, then every update's
        for obj, persisted, info, kind, db in _by_kind(plan):
            if kind == "update":
                cols, rels = diffs[id(persisted)] = _changed(info, persisted)
                called += _fire_written(unit.manager, "before", obj, info, kind, db, cols, rels)
            else:
                called += _fire_written(unit.manager, "before", obj, info, kind, db)
        called += _fire_unnamed(unit.manager, "before", unlinked, orphans)
        for (obj, persisted, info, kind, _), before in zip(plan, snapshots, strict=True):
            _carry(info, obj, persisted, before, kind == "insert")
        after: list[tuple[Any, EntityInfo, Kind, Any, list[str], list[str]]] = []
        for obj, persisted, info, kind, db in plan:
            cols, rels = [], []
            if kind == "update":
                first = diffs[id(persisted)]
                cols, rels = _recomputed(first, _changed(info, persisted)) if called else first
            after.append((obj, info, kind, db, cols, rels))
        flush(session)
        after_flush(session, saved)
        for obj, persisted in saved.pairs:
            write_persisted(obj, persisted, kind=saved.kind(persisted))
        for obj, info, kind, db, cols, rels in _after_order(after):
            _fire_written(unit.manager, "after", obj, info, kind, db, cols, rels)
        _fire_unnamed(unit.manager, "after", unlinked, orphans)


def _after_order(
    after: list[tuple[Any, EntityInfo, Kind, Any, list[str], list[str]]],
) -> list[tuple[Any, EntityInfo, Kind, Any, list[str], list[str]]]:
    """TypeORM's ``broadcastAfterEventsForAll``: the inserts in the order its
    topological sort inserted them, then the rest as the before events had them."""
    inserts = [a for a in after if a[2] == "insert"]
    ordered = typeorm_order([a[0] for a in inserts])
    if ordered is not None:
        place = {id(obj): i for i, obj in enumerate(ordered)}
        inserts.sort(key=lambda a: place[id(a[0])])
    return [*inserts, *(a for a in after if a[2] != "insert")]


def _fire_written(
    manager: EntityManager,
    phase: str,
    obj: Any,
    info: EntityInfo,
    kind: Kind,
    db: Any,
    cols: list[str] | None = None,
    rels: list[str] | None = None,
) -> int:
    """The ``phase`` ("before", "after") event of a saved entity that is inserted or
    updated (an insert's after event carries its key); how many were called."""
    if kind == "insert":
        ident = _entity_id(info, obj) if phase == "after" else None
        payload: Any = InsertEvent(manager, obj, info.cls, ident)
    elif kind == "update":
        payload = UpdateEvent(manager, obj, info.cls, db, cols or [], rels or [])
    else:
        return 0
    return fire(manager, f"{phase}_{kind}", info.cls, obj, payload)


def _fire_unnamed(
    manager: EntityManager,
    phase: str,
    unlinked: list[type[Any]],
    orphans: tuple[tuple[str, list[tuple[type[Any], Any]]], ...],
) -> int:
    """The ``phase`` events of the rows a save writes without being given them: the
    `_unlinked` updates, then the orphans' removes (event suffix, (class, key) each)."""
    called = 0
    for cls in unlinked:
        called += fire(manager, f"{phase}_update", cls, None, UpdateEvent(manager, None, cls))
    for event, found in orphans:
        for cls, ident in found:
            payload = RemoveEvent(manager, None, cls, None, ident)
            called += fire(manager, f"{phase}_{event}", cls, None, payload)
    return called


def _keyed(members: list[Any]) -> list[tuple[type[Any], Any]]:
    """(class, key) of each of ``members``, as their events name them."""
    return [(type(m), _entity_id(entity_info(type(m)), m)) for m in members]


def _unlinked(pairs: list[tuple[Any, Any]]) -> list[type[Any]]:
    """The classes of the rows a save changes without being given them: members taken
    out of a saved one-to-many collection (their foreign key cleared by the flush), in
    key order. TypeORM makes each an update with no entity (its OneToManySubjectBuilder):
    their update events carry no entity, no database entity and no changed columns."""
    return [type(o) for o in _taken_out(pairs, orphaned=False)]


def _deleted_orphans(pairs: list[tuple[Any, Any]]) -> list[tuple[type[Any], Any]]:
    """The members taken out of a saved one-to-many collection whose inverse says
    ``orphanedRowAction: "delete"`` (SQLAlchemy's ``delete-orphan``): TypeORM removes
    each (OneToManySubjectBuilder) as a subject with no entity and no database entity,
    whose remove events carry its key only; (class, key) in key order. Those whose
    foreign key cannot be NULL are `persist.Saved.orphans`."""
    return _keyed(_taken_out(pairs, orphaned=True))


def _taken_out(pairs: list[tuple[Any, Any]], *, orphaned: bool) -> list[Any]:
    """The persistent members, not saved themselves, taken out of the saved entities'
    one-to-many collections whose relation is (``orphaned``) or is not delete-orphan;
    in key order."""
    written = {id(persisted) for _, persisted in pairs}
    found: dict[int, Any] = {}
    for _, persisted in pairs:
        info = entity_info(type(persisted))
        attrs = inspect(persisted).attrs
        for key, rel in info.relations.items():
            if rel.direction is not ONETOMANY or rel.cascade.delete_orphan != orphaned:
                continue
            for member in attrs[key].history.deleted:
                if inspect(member).persistent and id(member) not in written:
                    found[id(member)] = member
    return sorted(found.values(), key=lambda o: (type(o).__name__, repr(inspect(o).identity)))


def _by_kind(plan: list[Any]) -> list[Any]:
    """The plan's inserts, then its updates (each in the plan's order)."""
    return [p for p in plan if p[3] == "insert"] + [p for p in plan if p[3] == "update"]


def _key_of(info: EntityInfo, obj: Any) -> tuple[Any, ...] | None:
    state = inspect(obj)
    ident = tuple(state.dict.get(k) for k in info.primary)
    return None if any(v is None for v in ident) else ident


def _database_entities(manager: EntityManager, session: Session, objs: list[Any]) -> dict[int, Any]:
    """TypeORM's ``SubjectDatabaseEntityLoader``: the rows ``objs`` name by key, one
    query a class (``WHERE key IN (...)``, soft-deleted rows too), as detached entities,
    each class's told ``after_load`` in the order the database returns them; by
    ``id(obj)``."""
    groups: dict[type[Any], list[tuple[Any, tuple[Any, ...]]]] = {}
    for obj in objs:
        info = entity_info(type(obj))
        ident = _key_of(info, obj)
        if ident is not None:
            groups.setdefault(info.cls, []).append((obj, ident))
    out: dict[int, Any] = {}
    for cls, members in groups.items():
        info = entity_info(cls)
        keys = list(info.columns)
        idents = list(dict.fromkeys(ident for _, ident in members))
        cond = or_(
            *(
                and_(*(info.columns[k] == v for k, v in zip(info.primary, ident, strict=True)))
                for ident in idents
            )
        )
        stmt = select(*(info.columns[k] for k in keys)).where(restrict(info, cond))
        found: dict[tuple[Any, ...], Any] = {}
        for row in session.connection().execute(stmt):
            copy = info.mapper.class_manager.new_instance()
            for key, value in zip(keys, row, strict=True):
                set_committed_value(copy, key, value)
            found[tuple(getattr(copy, k) for k in info.primary)] = copy
        loaded(manager, cls, list(found.values()))
        for obj, ident in members:
            if ident in found:
                out[id(obj)] = found[ident]
    return out


def _subjects(
    manager: EntityManager, session: Session, items: list[Any], cascade: str
) -> list[tuple[Any, EntityInfo, Any]]:
    """The entities a remove (soft remove, recover) writes, the given ones and along
    relations cascading ``cascade``, in TypeORM's order, with their loaded rows (a soft
    remove or recover leaves out those with none; a remove does not)."""
    walked: list[Any] = []
    seen: set[int] = set()

    def walk(obj: Any) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        walked.append(obj)
        info = entity_info(type(obj))
        given = inspect(obj).dict
        for key, rel in info.relations.items():
            value = given.get(key)
            if value is None or cascade not in info.cascades(key):
                continue  # (a reference, `{id: 2}`, cascades as any entity: TypeORM's)
            for child in list(value) if rel.uselist else [value]:
                walk(child)

    for obj in items:
        walk(obj)
    rows = _database_entities(manager, session, walked)
    if cascade == "remove":  # TypeORM removes what it is given, found or not
        return [(obj, entity_info(type(obj)), rows.get(id(obj))) for obj in walked]
    return [(obj, entity_info(type(obj)), rows[id(obj)]) for obj in walked if id(obj) in rows]


def _entity_id(info: EntityInfo, entity: Any) -> Any:
    """TypeORM's ``getEntityIdMixedMap``: the key's value, or a map of a composite key."""
    ident = {info.property_of(k): getattr(entity, k, None) for k in info.primary}
    return next(iter(ident.values())) if len(ident) == 1 else ident


def _removal(
    manager: EntityManager,
    items: list[Any],
    cascade: str,
    event: str,
    work: Callable[[Session], None],
) -> None:
    with _unit(manager) as unit:
        subjects = _subjects(unit.manager, unit.session, items, cascade)
        if not subjects:
            work(unit.session)
            return
        unit.start()
        # TypeORM's entityId: the loaded row's key, else the one given (kept from before
        # a remove clears it)
        ids = [_entity_id(info, obj if db is None else db) for obj, info, db in subjects]
        for (obj, info, db), ident in zip(subjects, ids, strict=True):
            payload = RemoveEvent(unit.manager, obj, info.cls, db, ident)
            fire(unit.manager, f"before_{event}", info.cls, obj, payload)
        work(unit.session)
        for (obj, info, db), ident in zip(subjects, ids, strict=True):
            payload = RemoveEvent(unit.manager, obj, info.cls, db, ident)
            fire(unit.manager, f"after_{event}", info.cls, obj, payload)


def remove(manager: EntityManager, items: list[Any]) -> None:
    from ormshift.orm.persist import remove_graph  # noqa: PLC0415

    _removal(manager, items, "remove", "remove", lambda s: remove_graph(s, items))


def set_deleted(manager: EntityManager, items: list[Any], deleted: bool) -> None:
    from ormshift.orm.persist import set_deleted_graph  # noqa: PLC0415

    cascade, event = ("soft-remove", "soft_remove") if deleted else ("recover", "recover")
    _removal(manager, items, cascade, event, lambda s: set_deleted_graph(s, items, deleted))
