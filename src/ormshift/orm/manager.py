"""`EntityManager`: TypeORM's entity manager methods, in snake case, over one session.

A manager made by `DataSource` opens a session per call and commits it before
returning; one made by ``DataSource.transaction`` works in the transaction's session
and commits nothing (the caller's unit of work owns the commit).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, cast, overload

from psycopg.pq import TransactionStatus
from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    bindparam,
    func,
    insert,
    inspect,
    literal_column,
    or_,
    text,
    update,
)
from sqlalchemy import delete as sa_delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import InvalidRequestError, PendingRollbackError
from sqlalchemy.orm import Session, sessionmaker

from ormshift.orm import hooks
from ormshift.orm.cache import cached_find
from ormshift.orm.errors import (
    EntityNotFound,
    FindOptionsError,
    MissingDeleteDateColumn,
    NoVersionOrUpdateDateColumn,
    OptimisticLockCanNotBeUsed,
    OptimisticLockVersionMismatch,
    OrmError,
    PessimisticLockTransactionRequired,
    PoolTimeout,
    QueryFailed,
    UnsupportedFindOptions,
    UpdateValuesMissing,
    translated,
)
from ormshift.orm.guard import hooks_apply
from ormshift.orm.metadata import EntityInfo, entity_info
from ormshift.orm.options import FindOptions, relation_tree
from ormshift.orm.persist import (
    UPDATE_VALUES_MISSING,
    after_flush,
    remove_graph,
    save_graph,
    set_deleted_graph,
    write_persisted,
)
from ormshift.orm.plain_find import is_plain, session_watched, watched
from ormshift.orm.plain_find import load as plain_load
from ormshift.orm.query import (
    aggregate_statement,
    count_statement,
    exists_statement,
    is_pessimistic,
    lazy_count,
    unselected_paging_column,
)
from ormshift.orm.query_groups import settle
from ormshift.orm.shape import place_of, shaped
from ormshift.orm.simple_save import is_simple, save_simple
from ormshift.orm.transformers import flush
from ormshift.orm.write_cache import (
    Criteria,
    Written,
    any_sql,
    is_sql,
    run,
    statement,
    unnest_statement,
)
from ormshift.orm.write_cache import criteria as criteria_of
from ormshift.orm.writes import (
    column_values,
    create,
    criteria_condition,
    insert_rows,
    restrict,
    stamp_values,
    stamps,
    updatable,
    without_join_only,
)

if TYPE_CHECKING:
    from ormshift.orm.querybuilder import SelectQueryBuilder
    from ormshift.orm.repository import Repository
    from ormshift.orm.trees.repository import TreeRepository
    from ormshift.orm.types import (
        Amount,
        FindManyOptions,
        FindOneOptions,
        Params,
        Row,
        Values,
        WhereOption,
    )
    from ormshift.orm.types import Criteria as CriteriaOption

__all__ = ["DeleteResult", "EntityManager", "InsertResult", "UpdateResult"]

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E")

_DOLLAR = re.compile(r"\$(\d+)")


@dataclass(frozen=True)
class InsertResult:
    identifiers: list[dict[str, object] | None]
    generated_maps: list[dict[str, object]]
    raw: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class UpdateResult:
    affected: int
    raw: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class DeleteResult:
    affected: int
    raw: list[dict[str, object]] = field(default_factory=list)


def aborted(session: Session) -> bool:
    """Whether PostgreSQL has aborted the session's transaction (a failed statement, or
    a failed flush, after which the session refuses to go on)."""
    try:
        raw = session.connection().connection.dbapi_connection
    except PendingRollbackError:
        return True
    info = getattr(raw, "info", None)
    status = getattr(info, "transaction_status", None)
    return status is not None and status == TransactionStatus.INERROR


def _forget_unwritten(session: Session) -> None:
    """Drop what a failed call left in the transaction's session unwritten (objects it
    added, changed or marked deleted), so that no later flush writes it: TypeORM's call
    that throws (a listener, a transformer, a statement) leaves nothing behind to write,
    and its transaction goes on with what earlier calls wrote."""
    for obj in [*session.new, *session.dirty, *session.deleted]:
        session.expunge(obj)


class EntityManager:
    """Entity operations by entity class: ``manager.find(Post, where=...)``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        session: Session | None = None,
        on_pool_timeout: Callable[[], None] | None = None,
        autocommit: sessionmaker[Session] | None = None,
        subscribers: tuple[object, ...] = (),
    ) -> None:
        #: the data source's subscribers (`ormshift.orm.listeners.EntitySubscriber`)
        self.subscribers = subscribers
        self._sessions = sessions
        self._autocommit = autocommit or sessions
        self._session = session
        self._on_pool_timeout = on_pool_timeout
        self._repositories: dict[type[Any], Any] = {}
        self._tree_repositories: dict[type[Any], Any] = {}
        self._probe: Session | None = None
        #: TypeORM's query runner believes itself out of the transaction: its end fails
        #: with TransactionNotStartedError (`_lose_transaction`, a failed start event)
        self.lost = False
        #: the transaction was rolled back under the caller (`_lose_transaction`): each
        #: statement now commits on its own, as on TypeORM's query runner
        self.detached = False
        #: savepoints left open, aborted, by a rollback event that threw (TypeORM's
        #: depth one too deep each): the enclosing transaction cannot end well
        self.left_open = 0
        #: a statement failed in this manager's transaction, which PostgreSQL has
        #: aborted for TypeORM (SQLAlchemy has rolled it back already): every statement
        #: is refused with 25P02, as TypeORM's next statement there is
        self.aborted = False

    @property
    def in_transaction(self) -> bool:
        return self._session is not None

    def bound(self, session: Session) -> EntityManager:
        """A manager on ``session``'s connection and transaction with a session of its
        own (TypeORM's query runner manager, as events get it): what a listener does
        with it does not flush the unit of work's pending changes early."""
        # joins the connection's transaction (or savepoint) without one of its own
        sibling = Session(
            bind=session.connection(),
            autoflush=False,
            expire_on_commit=False,
            join_transaction_mode="rollback_only",
        )
        return EntityManager(
            self._sessions, sibling, self._on_pool_timeout, self._autocommit, self.subscribers
        )

    @contextmanager
    def _scope(self, *, atomic: bool = False) -> Iterator[Session]:
        """The session to work in: the transaction's, or one for this call only.

        Outside a transaction, a single statement runs in autocommit (no BEGIN/COMMIT
        round trips, as TypeORM runs it); ``atomic`` work (save, remove) gets a
        transaction of its own.
        """
        if self._session is not None:
            if self.aborted:
                raise QueryFailed(
                    "current transaction is aborted, commands ignored until end of "
                    "transaction block",
                    sqlstate="25P02",
                )
            with translated():
                try:
                    yield self._session
                    flush(self._session)
                except BaseException:
                    _forget_unwritten(self._session)
                    raise
                if self.detached:
                    self._session.commit()
            return
        with self._pool_timeouts():
            if atomic:
                with translated(), self._sessions() as session, session.begin():
                    yield session
            else:
                with translated(), self._autocommit() as session:
                    yield session

    @contextmanager
    def _pool_timeouts(self) -> Iterator[None]:
        """Let a `PoolTimeout` through, counted for the pool statistics."""
        try:
            yield
        except PoolTimeout:
            if self._on_pool_timeout is not None:
                self._on_pool_timeout()
            raise

    # -- transactions ---------------------------------------------------------------

    @contextmanager
    def _savepoint(self) -> Iterator[EntityManager]:
        if self._session is None:
            raise OrmError(
                "a nested transaction needs an enclosing one: use DataSource.transaction"
            )
        try:
            hooks.transaction_event(self, "before_transaction_start")
        except BaseException:
            # TypeORM's startTransaction marks its query runner out of any transaction
            # when a BeforeTransactionStart subscriber throws, nested or not
            # (PostgresQueryRunner.startTransaction): the enclosing transaction's end
            # then finds none
            self.lost = True
            raise
        if self.detached:
            # TypeORM's query runner is out of its transaction: this one is a transaction
            # of its own (START TRANSACTION ... COMMIT), and after it the runner is out again
            yield from self._own_transaction(self._session)
            return
        if aborted(self._session) and not self._session.in_nested_transaction():
            self._lose_transaction(self._session)
        with translated():
            nested = self._session.begin_nested()
        hooks.transaction_event(self, "after_transaction_start")
        try:
            yield self
            hooks.transaction_event(self, "before_transaction_commit")
            if not nested.is_active or aborted(self._session):
                # a statement inside failed and its error was caught: PostgreSQL
                # refuses the RELEASE of the aborted savepoint, and TypeORM's nested
                # transaction fails with that refusal after rolling back to it
                nested.rollback()
                raise QueryFailed(
                    "current transaction is aborted, commands ignored until end of "
                    "transaction block",
                    sqlstate="25P02",
                )
            with translated():
                nested.commit()
            hooks.transaction_event(self, "after_transaction_commit")
        except BaseException:
            # also when the RELEASE failed (the savepoint aborted by a caught error):
            # back to the savepoint, so that the enclosing transaction goes on, as
            # TypeORM's nested transaction rolls back to it after its failed commit.
            # A rollback event that throws (a subscriber's query refused in the aborted
            # savepoint) stops TypeORM's rollbackTransaction before its ROLLBACK TO
            # SAVEPOINT: the savepoint stays, aborted, its depth one too deep, and
            # EntityManager.transaction drops that error for the original one
            try:
                hooks.transaction_event(self, "before_transaction_rollback")
            except Exception:
                self.left_open += 1
            else:
                with suppress(InvalidRequestError):  # closed already
                    nested.rollback()
                with suppress(Exception):
                    hooks.transaction_event(self, "after_transaction_rollback")
            raise

    def _lose_transaction(self, session: Session) -> None:
        """A nested transaction opened in a transaction that a caught failure aborted:
        PostgreSQL refuses TypeORM's ``SAVEPOINT``, and TypeORM's rollback of the level it
        believes it is at (the outermost) rolls the whole transaction back, leaving its
        query runner out of any transaction (PostgresQueryRunner.startTransaction and
        rollbackTransaction, EntityManager.transaction)."""
        hooks.transaction_event(self, "before_transaction_rollback")
        session.rollback()
        self.lost = self.detached = True
        hooks.transaction_event(self, "after_transaction_rollback")
        raise QueryFailed(
            "current transaction is aborted, commands ignored until end of transaction block",
            sqlstate="25P02",
        )

    def _own_transaction(self, session: Session) -> Iterator[EntityManager]:
        self.detached = False
        try:
            hooks.transaction_event(self, "after_transaction_start")
            yield self
            hooks.transaction_event(self, "before_transaction_commit")
            with translated():
                session.commit()
            hooks.transaction_event(self, "after_transaction_commit")
        except BaseException:
            hooks.transaction_event(self, "before_transaction_rollback")
            session.rollback()
            hooks.transaction_event(self, "after_transaction_rollback")
            raise
        finally:
            self.detached = True

    @overload
    def transaction(self, work: None = None) -> AbstractContextManager[EntityManager]: ...
    @overload
    def transaction(self, work: Callable[[EntityManager], R]) -> R: ...
    def transaction(
        self, work: Callable[[EntityManager], R] | None = None
    ) -> AbstractContextManager[EntityManager] | R:
        """Inside a transaction: a savepoint, as a context manager or around ``work``."""
        if work is None:
            return self._savepoint()
        with self._savepoint() as manager:
            return work(manager)

    @overload
    def create_query_builder(self, entity: type[E], alias: str) -> SelectQueryBuilder[E]: ...
    @overload
    def create_query_builder(
        self, entity: None = None, alias: None = None
    ) -> SelectQueryBuilder[object]: ...
    def create_query_builder(
        self, entity: type[object] | None = None, alias: str | None = None
    ) -> object:
        """TypeORM's ``createQueryBuilder``: a `SelectQueryBuilder` working in this
        manager's session (its transaction's, inside one)."""
        from ormshift.orm.querybuilder import create_query_builder  # noqa: PLC0415 - cycle

        return create_query_builder(self, entity, alias)

    def get_repository(self, entity: type[T]) -> Repository[T]:
        found = self._repositories.get(entity)
        if found is None:
            from ormshift.orm.repository import Repository  # noqa: PLC0415 - cycle

            found = self._repositories[entity] = Repository(entity, self)
        return found

    def get_tree_repository(self, entity: type[T]) -> TreeRepository[T]:
        """TypeORM's ``getTreeRepository``: `ormshift.orm.trees.repository.TreeRepository`."""
        found = self._tree_repositories.get(entity)
        if found is None:
            from ormshift.orm.trees.repository import TreeRepository  # noqa: PLC0415 - cycle

            found = self._tree_repositories[entity] = TreeRepository(entity, self)
        return found

    # -- reading --------------------------------------------------------------------

    def _refuse_page(self, missing: str) -> None:
        """TypeORM's paginated find selects its page's keys and order columns from what
        the query selects: PostgreSQL refuses the one it did not select. The same
        refusal, from the database, so that it aborts a transaction around it as
        TypeORM's does (its rollback event's query then fails in turn)."""
        with self._scope() as session:
            connection = session.connection()
            quote = connection.dialect.identifier_preparer.quote
            alias = quote("distinctAlias")
            connection.execute(text(f"SELECT {alias}.{quote(missing)} FROM (SELECT 1) {alias}"))
        raise QueryFailed(f"column distinctAlias.{missing} does not exist", sqlstate="42703")

    def _run_find(
        self, info: EntityInfo, opts: FindOptions, *, one: bool = False, listeners: bool = True
    ) -> list[Any]:
        """The entities ``opts`` finds; ``after_load`` on them unless not ``listeners``
        (a builder's ``call_listeners(False)``)."""
        if opts.lock and opts.lock.get("mode") == "optimistic" and not one:
            raise OptimisticLockCanNotBeUsed(
                "The optimistic lock can be used only with find_one (TypeORM's getOne())."
            )
        if is_pessimistic(opts.lock) and not self.in_transaction:
            raise PessimisticLockTransactionRequired(
                "Transaction is required to perform a pessimistic lock: "
                "run the find inside DataSource.transaction"
            )
        missing = unselected_paging_column(info, opts)
        if missing is not None:
            self._refuse_page(missing)
        stmt, params, key = cached_find(info, opts)
        hooked = hooks_apply(info, self.subscribers)
        if key is not None and self._session is None and not hooked and is_plain(info, opts):
            plain = self._plain_find(info, key, stmt, params)
            if plain is not None:
                return plain
        # in a transaction the session's identity map holds what earlier work loaded:
        # each find reads its rows afresh, as TypeORM does
        by_query = opts.relation_load_strategy == "query"
        fresh = {"populate_existing": True} if self.in_transaction and not by_query else {}
        tree = relation_tree(info, opts.relations)
        place = place_of(info, tree, opts.load_eager_relations, opts.select)
        with self._scope() as session:
            if self.in_transaction and by_query:
                # each relation's own SELECT would populate again the entities loaded
                # before it (self-referencing ones: the roots among the replies),
                # dropping what was loaded into them: everything is read afresh instead
                session.expire_all()
            rows = list(session.scalars(stmt, params, execution_options=fresh).unique().all())
            if opts.lock and opts.lock.get("mode") == "optimistic":
                self._check_version(info, rows, opts.lock.get("version"))
            found = shaped(rows, place, copy=self.in_transaction)
            if by_query:
                settle(info, found, place, session)
        if hooked and listeners:
            hooks.loaded(self, info.cls, found)
        return found

    def _plain_find(
        self, info: EntityInfo, key: tuple[Any, ...], stmt: Any, params: dict[str, Any]
    ) -> list[Any] | None:
        """A find of columns only, on the driver's cursor (`plain_find`); None when it
        must go through the session."""
        connect = self._direct_connect()
        if connect is None:
            return None
        bind = self._autocommit.kw["bind"]
        return plain_load(connect, key, info, stmt, params, bind.dialect)

    def _direct_connect(self) -> Callable[[], AbstractContextManager[Connection]] | None:
        """Outside a transaction, when nobody could tell the session from a bare
        connection (`guard`): a connection for one statement on the driver's cursor
        (plain finds, query-builder reads); None otherwise."""
        if self._session is not None:
            return None
        if self._probe is None:
            self._probe = self._autocommit()  # never used: its dispatch tells of listeners
        bind = self._autocommit.kw.get("bind")
        if not isinstance(bind, Engine) or session_watched(self._probe) or watched(bind):
            return None
        return partial(self._connection, bind)

    @contextmanager
    def _connection(self, engine: Engine) -> Iterator[Connection]:
        """A connection for one statement outside a transaction, as `_scope` gives a
        session: errors translated, pool timeouts counted."""
        with self._pool_timeouts(), translated(), engine.connect() as connection:
            yield connection

    @staticmethod
    def _check_version(info: EntityInfo, rows: list[Any], expected: Any) -> None:
        """TypeORM's optimistic lock (``getOne``): a ``Date`` is checked against the update
        date (to the millisecond, as a JavaScript ``Date``), anything else against the
        version; no check when the version given is falsy or nothing was found."""
        if info.version is None and info.update_date is None:
            raise NoVersionOrUpdateDateColumn(info.name)
        if not _js_truthy(expected) or not rows:
            return
        by_date = isinstance(expected, datetime.datetime)
        key = info.update_date if by_date else info.version
        if key is None:
            raise FindOptionsError(f"optimistic lock on {info.name}: no column to check it by")
        actual = getattr(rows[0], key)
        if by_date:
            same = actual is not None and _ms(actual) == _ms(expected)
        else:
            same = actual == expected
        if not same:
            raise OptimisticLockVersionMismatch(
                f"The optimistic lock on entity {info.name} failed, version {expected} "
                f"was expected, but is actually {actual}."
            )

    def find(self, entity: type[T], **options: Unpack[FindManyOptions]) -> list[T]:
        info = entity_info(entity)
        return self._run_find(info, FindOptions.of(options, info))

    def find_by(self, entity: type[T], where: WhereOption) -> list[T]:
        return self.find(entity, where=where)

    def find_one(self, entity: type[T], **options: Unpack[FindOneOptions]) -> T | None:
        if not _js_truthy(options.get("where")):  # TypeORM: `if (!options.where)`
            raise UnsupportedFindOptions(
                "You must provide selection conditions in order to find a single row."
            )
        info = entity_info(entity)
        rows = self._run_find(info, FindOptions.of({**options, "take": 1}, info), one=True)
        return rows[0] if rows else None

    def find_one_by(self, entity: type[T], where: WhereOption) -> T | None:
        info = entity_info(entity)
        rows = self._run_find(info, FindOptions.of({"where": where, "take": 1}, info))
        return rows[0] if rows else None

    def find_one_or_fail(self, entity: type[T], **options: Unpack[FindOneOptions]) -> T:
        found = self.find_one(entity, **options)
        if found is None:
            raise EntityNotFound(entity.__name__, options)
        return found

    def find_one_by_or_fail(self, entity: type[T], where: WhereOption) -> T:
        found = self.find_one_by(entity, where)
        if found is None:
            raise EntityNotFound(entity.__name__, where)
        return found

    def count(self, entity: type[object], **options: Unpack[FindManyOptions]) -> int:
        info = entity_info(entity)
        stmt = count_statement(info, FindOptions.of(options, info))
        with self._scope() as session:
            return int(session.scalar(stmt) or 0)

    def count_by(self, entity: type[object], where: WhereOption) -> int:
        return self.count(entity, where=where)

    def find_and_count(
        self, entity: type[T], **options: Unpack[FindManyOptions]
    ) -> tuple[list[T], int]:
        """TypeORM's ``getManyAndCount``: the entities found, and their count taken from
        the page itself when the page tells it (`lazy_count`), else counted."""
        return self._find_and_count(entity, options)

    def _find_and_count(
        self, entity: type[T], options: FindManyOptions, *, listeners: bool = True
    ) -> tuple[list[T], int]:
        """`find_and_count`; without ``listeners`` (a builder's ``call_listeners(False)``)
        no ``after_load``."""
        info = entity_info(entity)
        opts = FindOptions.of(options, info)
        found = self._run_find(info, opts, listeners=listeners)
        total = lazy_count(len(found), opts.skip, opts.take)
        if total is None:
            rest = {k: v for k, v in options.items() if k not in ("skip", "take", "order")}
            total = self.count(entity, **cast("FindManyOptions", rest))
        return found, total

    def find_and_count_by(self, entity: type[T], where: WhereOption) -> tuple[list[T], int]:
        return self.find_and_count(entity, where=where)

    def exists(self, entity: type[object], **options: Unpack[FindManyOptions]) -> bool:
        info = entity_info(entity)
        stmt = exists_statement(info, FindOptions.of(options, info))
        with self._scope() as session:
            return bool(session.scalar(stmt))

    def exists_by(self, entity: type[object], where: WhereOption) -> bool:
        return self.exists(entity, where=where)

    def sum(
        self, entity: type[object], column: str, where: WhereOption | None = None
    ) -> float | None:
        """TypeORM's ``sum(Entity, "column", where?)``: None when no row matches."""
        return self._aggregate(entity, "sum", column, where)

    def average(
        self, entity: type[object], column: str, where: WhereOption | None = None
    ) -> float | None:
        return self._aggregate(entity, "average", column, where)

    def minimum(
        self, entity: type[object], column: str, where: WhereOption | None = None
    ) -> float | None:
        return self._aggregate(entity, "minimum", column, where)

    def maximum(
        self, entity: type[object], column: str, where: WhereOption | None = None
    ) -> float | None:
        return self._aggregate(entity, "maximum", column, where)

    def _aggregate(self, entity: type[Any], method: str, column: str, where: Any) -> float | None:
        stmt = aggregate_statement(entity_info(entity), method, column, where)
        with self._scope() as session:
            value = session.scalar(stmt)
        # TypeORM returns parseFloat of the raw value (numbers, also for numeric columns)
        return None if value is None else float(value)

    def query(self, sql: str, params: Params | None = None) -> list[Row]:
        """Raw SQL with bound values: ``$1`` placeholders and a list, or ``:name`` and a dict."""
        binds: dict[str, Any]
        if isinstance(params, Sequence) and not isinstance(params, str):
            binds = {f"p{i + 1}": v for i, v in enumerate(params)}
            sql = _DOLLAR.sub(lambda m: f":p{m[1]}", sql)
        else:
            binds = dict(cast("Mapping[str, object]", params or {}))
        with self._scope() as session:
            result = cast("CursorResult[Any]", session.connection().execute(text(sql), binds))
            if not result.returns_rows:
                return []
            return [dict(row._mapping) for row in result]

    def create(self, entity: type[T], data: Mapping[str, object] | None = None) -> T:
        return create(entity, data or {})  # type: ignore[no-any-return]

    # -- save / remove ----------------------------------------------------------------

    def save(self, entity_or_entities: E) -> E:
        """Insert or update by primary key with declared cascades; write generated values back."""
        items = _items(entity_or_entities)
        if items and hooks_apply(entity_info(type(items[0])), self.subscribers):
            hooks.save(self, items)
            return entity_or_entities
        simple = all(is_simple(obj) for obj in items)
        # one simple entity is one INSERT, or a SELECT and an UPDATE by key: each
        # statement is atomic, so no BEGIN/COMMIT round trips are spent on it
        with self._scope(atomic=not (simple and len(items) == 1)) as session:
            if simple:
                connection = session.connection()
                for obj in items:
                    save_simple(connection, obj)
                return entity_or_entities
            saved = save_graph(session, items)
            flush(session)
            after_flush(session, saved)
            for obj, persisted in saved.pairs:
                write_persisted(obj, persisted, kind=saved.kind(persisted))
        return entity_or_entities

    def remove(self, entity_or_entities: E) -> E:
        """Delete the given rows (and what cascades ``remove``), nothing else: rows that
        reference them are left to the foreign keys, as TypeORM leaves them."""
        items = _items(entity_or_entities)
        if items and hooks_apply(entity_info(type(items[0])), self.subscribers):
            hooks.remove(self, items)
            return entity_or_entities
        with self._scope(atomic=True) as session:
            remove_graph(session, items)
        return entity_or_entities

    def _set_deleted(self, entity_or_entities: E, deleted: bool) -> E:
        items = _items(entity_or_entities)
        if items and hooks_apply(entity_info(type(items[0])), self.subscribers):
            hooks.set_deleted(self, items, deleted)
            return entity_or_entities
        with self._scope(atomic=True) as session:
            set_deleted_graph(session, items, deleted)
        return entity_or_entities

    def soft_remove(self, entity_or_entities: E) -> E:
        return self._set_deleted(entity_or_entities, True)

    def recover(self, entity_or_entities: E) -> E:
        return self._set_deleted(entity_or_entities, False)

    # -- primitive writes -----------------------------------------------------------------

    def _rows(self, info: EntityInfo, values: Any, what: str) -> list[dict[str, Any]]:
        items = list(values) if isinstance(values, list | tuple) else [values]
        plain, numbers, texts = info.plain_columns, info.number_columns, info.text_columns
        skip = info.sibling_columns
        # a plain dict of plain columns (no text for a number, no number for a text) is
        # its own row: no walk; what its keys say is worked out once per set of keys
        layouts: dict[tuple[str, ...], tuple[bool, tuple[str, ...], tuple[str, ...]]] = {}
        rows: list[dict[str, Any]] = []
        for v in items:
            if type(v) is dict:
                names = tuple(v)
                layout = layouts.get(names)
                if layout is None:
                    layout = (
                        plain.issuperset(names),
                        tuple(numbers.intersection(names)),
                        tuple(texts.intersection(names)),
                    )
                    layouts[names] = layout
                if layout[0]:
                    for k in layout[1]:
                        if type(v[k]) is str:
                            break
                    else:
                        for k in layout[2]:
                            if type(v[k]) in (int, float):
                                break
                        else:
                            rows.append(dict(v))
                            continue
            rows.append(column_values(info, v, what=what, ignore=skip))
        if not rows:
            raise FindOptionsError(f"{what}: no values given")
        rows = insert_rows(info, rows)
        if info.version is not None:
            for row in rows:
                row.setdefault(info.version, 1)
        if info.keys_are_names:
            return rows
        return [{info.columns[k].key: v for k, v in row.items()} for row in rows]

    @staticmethod
    def _execute_rows(
        session: Session,
        info: EntityInfo,
        shape: tuple[Any, ...] | None,
        build: Callable[[], Any],
        rows: list[dict[str, Any]],
    ) -> Written:
        """All rows in one statement: rows with the same columns as ``unnest`` of one
        array per column, or an executemany batched into multi-row VALUES with RETURNING,
        whose rows PostgreSQL returns in VALUES order, which TypeORM relies on too); rows
        naming different columns as one multi-row VALUES with DEFAULT where a row leaves a
        column out. Statements are cached by ``shape`` (None: not)."""
        if not rows:
            return Written((), [], 0)
        connection = session.connection()
        columns = tuple(rows[0])
        if any(tuple(row) != columns for row in rows[1:]):
            # rows naming different columns: TypeORM still sends one INSERT, DEFAULT where
            # a row gives no value, so a row that fails writes none of the others (one
            # statement per shape would commit the first ones outside a transaction)
            names = list(dict.fromkeys(name for row in rows for name in row))
            default: Any = literal_column("DEFAULT")
            full = [{name: row.get(name, default) for name in names} for row in rows]
            written = run(connection, None, build().values(full), None)
        else:
            sql = any_sql(rows)
            key = None if shape is None or sql else (info.cls, *shape, columns, len(rows) > 1)
            if len(rows) == 1:
                stmt = statement(key, partial(_with_values, build, rows[0], sql))
                params = {f"v__{i}": v for i, v in enumerate(rows[0].values())}
                written = run(connection, key, stmt, None if sql else params)
            else:
                unnested = statement(key, partial(_unnested, build, columns))
                if unnested is _NO_UNNEST:
                    written = run(connection, None, build(), rows)
                else:
                    arrays = {f"u{i}": [row[n] for row in rows] for i, n in enumerate(columns)}
                    written = run(connection, key, unnested, arrays)
        return Written(written.names, written.rows, len(written.rows))

    def _returning(self, info: EntityInfo) -> list[Any]:
        cols = [info.columns[k] for k in info.primary]
        for key, col in info.columns.items():
            if key in info.primary:
                continue
            if (
                col.server_default is not None
                or col.info.get("default_null")
                or key == info.version
            ):
                cols.append(col)
        return cols

    def _insert_result(self, info: EntityInfo, written: Written, values: Any) -> InsertResult:
        by_name = {col.name: key for key, col in info.columns.items()}
        keys = [by_name[k] for k in written.names]
        generated = [dict(zip(keys, row, strict=True)) for row in written.rows]
        items = list(values) if isinstance(values, list | tuple) else [values]
        primary = info.primary
        identifiers: list[dict[str, Any] | None]
        if len(primary) == 1:
            (only,) = primary
            identifiers = [{only: g[only]} for g in generated]
        else:
            identifiers = [{k: g[k] for k in primary} for g in generated]
        identifiers += [None] * (len(items) - len(identifiers))
        cls = info.cls
        for obj, gen in zip(items, generated, strict=False):
            if isinstance(obj, cls):
                for key, value in gen.items():
                    setattr(obj, key, value)
        return InsertResult(identifiers, generated, generated)

    def insert(self, entity: type[T], values: Values[T] | Sequence[Values[T]]) -> InsertResult:
        info = entity_info(entity)
        if _no_values(values):
            return InsertResult([], [])  # TypeORM sends nothing
        values = without_join_only(info, values)
        sets = self._query_event("before_insert", info, values)
        rows = self._rows(info, values, f"insert into {info.name}")

        def build() -> Any:
            return insert(info.table).returning(*self._returning(info))

        with self._scope() as session:
            result = self._execute_rows(session, info, ("insert",), build, rows)
        found = self._insert_result(info, result, values)
        self._query_event("after_insert", info, sets)
        return found

    def _query_event(self, event: str, info: EntityInfo, values: Any) -> Any:
        """What TypeORM's query builders broadcast (`hooks.query_event`): the value
        sets, a list (for an insert's), or one (an update's); None: no entity."""
        sets = list(values) if isinstance(values, list | tuple) else [values]
        if hooks_apply(info, self.subscribers):
            hooks.query_event(self, event, info.cls, sets)
        return sets

    def upsert(
        self,
        entity: type[T],
        values: Values[T] | Sequence[Values[T]],
        conflict_paths: Sequence[str] | Mapping[str, object],
        *,
        skip_update_if_no_values_changed: bool = False,
    ) -> InsertResult:
        """``INSERT ... ON CONFLICT (conflict_paths) DO UPDATE`` of the columns given.

        No conflict path is sent as TypeORM sends it (``ON CONFLICT ()``), for the
        database to refuse: in a transaction, that error aborts it as TypeORM's does."""
        info = entity_info(entity)
        paths = list(conflict_paths)
        conflict = [info.columns[info.property_column(p)].name for p in paths]
        if _no_values(values):
            return InsertResult([], [])  # TypeORM sends nothing
        values = without_join_only(info, values)
        what = f"upsert into {info.name}"
        # TypeORM overwrites the columns the values set (inserted or not), less those
        # it never updates; the discriminator is not among them
        items = values if isinstance(values, list | tuple) else [values]
        siblings, plain = info.sibling_columns, info.plain_columns
        # a plain dict of plain columns names its own keys (`column_values` would keep
        # each as it is: no relation, no embedded prefix, no sibling's column among them)
        set_keys = {
            k
            for v in items
            for k in (
                v
                if type(v) is dict and plain.issuperset(v)
                else column_values(info, v, what=what, ignore=siblings)
            )
        }
        given = {info.columns[k].key for k in set_keys - info.no_update}
        if info.version is not None and not any(
            (isinstance(v, info.cls) and info.version in inspect(v).dict)
            or (isinstance(v, Mapping) and info.version in v)
            for v in (values if isinstance(values, list | tuple) else [values])
        ):
            given.discard(info.columns[info.version].key)
        skip = skip_update_if_no_values_changed
        # TypeORM picks the columns to overwrite before its subscribers see the values
        sets = self._query_event("before_insert", info, values)
        rows = self._rows(info, values, what)

        def build() -> Any:
            stmt = pg_insert(info.table)
            overwrite = [c for c in info.table.columns if c.key in given and c.name not in conflict]
            set_: dict[str, Any] = {name: stmt.excluded[name] for name in conflict}
            for col in overwrite:
                set_[col.name] = stmt.excluded[col.name]
            if info.update_date is not None:
                name = info.columns[info.update_date].name
                set_.setdefault(name, literal_column("DEFAULT"))
            if not set_:
                raise FindOptionsError(f"{what}: no conflict path and no column to update")
            where = None
            if skip and overwrite:
                # TypeORM's overwrite condition also restricts a single-table child
                changed = or_(*(c.is_distinct_from(stmt.excluded[c.name]) for c in overwrite))
                where = restrict(info, changed)
            stmt2 = stmt.on_conflict_do_update(index_elements=conflict, set_=set_, where=where)
            return stmt2.returning(*self._returning(info))

        shape = ("upsert", tuple(conflict), frozenset(given), skip)
        with self._scope() as session:
            result = self._execute_rows(session, info, shape, build, rows)
        found = self._insert_result(info, result, values)
        self._query_event("after_insert", info, sets)
        return found

    def _update(
        self,
        info: EntityInfo,
        crit: Criteria,
        values: dict[str, Any],
        shape: tuple[Any, ...] | None = (),
        params: dict[str, Any] | None = None,
        exprs: Callable[[], dict[str, Any]] | None = None,
    ) -> UpdateResult:
        """``UPDATE ... WHERE crit`` of ``values`` (plain ones are bound) and ``exprs``
        (SQL, built only with the statement), with the version bumped and the update
        date set; cached by the criteria's shape, the columns and ``shape``, which names
        any SQL among the values (None: not cached)."""
        sql = {k for k, v in values.items() if is_sql(v)}
        if sql and not shape:
            shape = None
        key = None
        if shape is not None and crit.key is not None:
            key = ("update", crit.key, tuple(values), *shape)

        def build() -> Any:
            sets: dict[str, Any] = {}
            for i, (k, v) in enumerate(values.items()):
                col = info.columns[k]
                sets[col.name] = v if k in sql else bindparam(f"v__{i}", type_=col.type)
            extra = exprs() if exprs is not None else {}
            for k, v in extra.items():
                sets[info.columns[k].name] = v
            sets.update(stamp_values(info, stamps(info, [*values, *extra])))
            return update(info.table).where(crit.condition).values(sets)

        bound = {**crit.params, **(params or {})}
        for i, (k, v) in enumerate(values.items()):
            if k not in sql:
                bound[f"v__{i}"] = v
        with self._scope() as session:
            result = run(session.connection(), key, statement(key, build), bound or None)
        return UpdateResult(result.rowcount)

    def update(self, entity: type[T], criteria: CriteriaOption, values: Values[T]) -> UpdateResult:
        info = entity_info(entity)
        crit = _restricted(info, criteria_of(info, criteria, "update"))
        self._query_event("before_update", info, values)
        data = updatable(info, column_values(info, values, what=f"update {info.name}"))
        if not data and info.version is None and info.update_date is None:
            # TypeORM's UPDATE always sets the version and the update date: with either
            # of them an update of no values still runs
            raise UpdateValuesMissing(
                "Cannot perform update query because update values are not defined."
            )
        found = self._update(info, crit, data)
        self._query_event("after_update", info, values)
        return found

    def delete(self, entity: type[object], criteria: CriteriaOption) -> DeleteResult:
        info = entity_info(entity)
        crit = _restricted(info, criteria_of(info, criteria, "delete"))
        key = None if crit.key is None else ("delete", crit.key)
        stmt = statement(key, lambda: sa_delete(info.table).where(crit.condition))
        self._query_event("before_remove", info, None)
        with self._scope() as session:
            result = run(session.connection(), key, stmt, crit.params or None)
        self._query_event("after_remove", info, None)
        return DeleteResult(result.rowcount)

    def soft_delete(self, entity: type[object], criteria: CriteriaOption) -> UpdateResult:
        return self._soft_delete(entity, criteria, restore=False)

    def restore(self, entity: type[object], criteria: CriteriaOption) -> UpdateResult:
        return self._soft_delete(entity, criteria, restore=True)

    def _soft_delete(
        self, entity: type[object], criteria: CriteriaOption, *, restore: bool
    ) -> UpdateResult:
        """``soft_delete`` (or, with ``restore``, ``restore``) of the rows ``criteria``
        finds not (or, restoring, only) soft-deleted."""
        info = entity_info(entity)
        cond = criteria_condition(info, criteria, "restore" if restore else "softDelete")
        if info.delete_date is None:
            raise MissingDeleteDateColumn(info.name)
        col = getattr(info.cls, info.delete_date)
        before, after = (
            ("before_recover", "after_recover")
            if restore
            else ("before_soft_remove", "after_soft_remove")
        )
        self._query_event(before, info, None)
        found = self._update(
            info,
            Criteria(None, restrict(info, cond & (col.is_not(None) if restore else col.is_(None)))),
            {info.delete_date: None if restore else func.current_timestamp()},
            None,
        )
        self._query_event(after, info, None)
        return found

    def _step(
        self, entity: type[Any], criteria: Any, prop: str, value: Any, sign: int
    ) -> UpdateResult:
        info = entity_info(entity)
        key = info.attribute(prop.replace(".", "_"))
        if key not in info.columns:
            raise FindOptionsError(f"Column {prop} was not found in {info.name} entity.")
        if key in info.no_update:
            raise UpdateValuesMissing(UPDATE_VALUES_MISSING)
        number = _step_amount(value)
        crit = _restricted(info, criteria_of(info, criteria, "update"))
        # the amount is a parameter, typed as the operator would type it
        shape = ("step", key, sign, type(number))
        sets = partial(_step_sets, info.columns[key], key, number, sign)
        name = info.property_of(key)
        values = {name: None}  # TypeORM's: the property, set by SQL
        self._query_event("before_update", info, values)
        # TypeORM's update builder reads its values after BeforeUpdate: what a listener
        # added to them is written with the step
        added = {k: v for k, v in values.items() if k != name}
        data = updatable(info, column_values(info, added, what=f"update {info.name}"))
        found = self._update(info, crit, data, shape, {"n__": number}, sets)
        self._query_event("after_update", info, values)
        return found

    def increment(
        self, entity: type[object], criteria: CriteriaOption, prop: str, value: Amount
    ) -> UpdateResult:
        return self._step(entity, criteria, prop, value, 1)

    def decrement(
        self, entity: type[object], criteria: CriteriaOption, prop: str, value: Amount
    ) -> UpdateResult:
        return self._step(entity, criteria, prop, value, -1)


_NO_UNNEST = object()


def _unnested(build: Callable[[], Any], names: tuple[str, ...]) -> Any:
    unnested = unnest_statement(build(), names)
    return _NO_UNNEST if unnested is None else unnested


def _with_values(build: Callable[[], Any], row: dict[str, Any], sql: bool) -> Any:
    """The statement with one row of VALUES: parameters ``v__0, v__1, ...`` typed as
    the columns (or, with SQL among the values, the values themselves)."""
    stmt = build()
    if sql:
        return stmt.values(row)
    table = stmt.table
    return stmt.values(
        {name: bindparam(f"v__{i}", type_=table.c[name].type) for i, name in enumerate(row)}
    )


def _step_amount(value: Any) -> int | Decimal:
    """The amount of an increment as TypeORM writes it into the SQL (its text, so
    ``0.1`` is the exact numeric ``0.1``, never a binary float)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise FindOptionsError(f'Value "{value}" is not a number.')
    if isinstance(value, int):
        return value
    text = repr(value) if isinstance(value, float) else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise FindOptionsError(f'Value "{value}" is not a number.') from None
    if not amount.is_finite():
        raise FindOptionsError(f'Value "{value}" is not a number.')
    return int(amount) if amount == amount.to_integral_value() and "." not in text else amount


def _step_sets(col: Any, key: str, number: Any, sign: int) -> dict[str, Any]:
    """``{key: col + :n__}`` (or ``-``), the amount typed as SQLAlchemy types
    ``col + number``."""
    typed = (col + number if sign > 0 else col - number).right.type
    amount = bindparam("n__", type_=typed)
    return {key: col + amount if sign > 0 else col - amount}


def _restricted(info: EntityInfo, crit: Criteria) -> Criteria:
    """``crit`` restricted to a single-table child's rows (the key is the class's)."""
    if info.sti_filter is None:
        return crit
    return Criteria(crit.key, restrict(info, crit.condition), crit.params)


def _items(entity_or_entities: object) -> list[Any]:
    """What save and remove take, as a list: the entities of a list (or tuple), or the one."""
    if isinstance(entity_or_entities, list | tuple):
        return list(entity_or_entities)
    return [entity_or_entities]


def _no_values(values: Any) -> bool:
    """An empty list of rows: TypeORM's insert and upsert send no statement for it."""
    return isinstance(values, list | tuple) and not values


def _ms(value: datetime.datetime) -> int:
    """A date as JavaScript's ``getTime()`` sees it (milliseconds)."""
    return (
        int(value.timestamp() * 1000)
        if value.tzinfo
        else int(value.replace(tzinfo=datetime.UTC).timestamp() * 1000)
    )


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness: empty objects and arrays are true, 0, "" and null false."""
    if isinstance(value, Mapping | list | tuple):
        return True
    return bool(value)
