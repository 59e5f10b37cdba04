"""Entity listeners and subscribers: TypeORM's ``@BeforeInsert`` ... ``@AfterLoad`` and
``EntitySubscriberInterface``, as Python names.

A listener is a method of the model marked with one of the decorators here; it takes
no argument but ``self`` and may change the entity (what it changes is written, as in
TypeORM)::

    class User(Base):
        @before_insert
        def make_id(self) -> None:
            self.id = "usr_" + self.handle

A subscriber is an object with ``listen_to()`` (the model class it hears, or None for
every class) and any of `EntitySubscriber`'s methods; it is given to the data source:
``DataSource(url, subscribers=[Audit()])``. `ormshift.orm.hooks` calls both at
TypeORM's points.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from typing_extensions import TypeVar as DefaultedTypeVar

if TYPE_CHECKING:
    from ormshift.orm.manager import EntityManager

#: the listener API (`ormshift.orm` exports it as it is)
__all__ = [
    "EntitySubscriber",
    "InsertEvent",
    "LoadEvent",
    "RemoveEvent",
    "TransactionEvent",
    "UpdateEvent",
    "after_insert",
    "after_load",
    "after_recover",
    "after_remove",
    "after_soft_remove",
    "after_update",
    "before_insert",
    "before_recover",
    "before_remove",
    "before_soft_remove",
    "before_update",
]

F = TypeVar("F", bound=Callable[..., Any])
#: the entity class an event is of (a subscriber hears); unsaid: any
E = DefaultedTypeVar("E", default=object)

#: the listener events, TypeORM's ``@BeforeInsert`` as ``before_insert`` and so on
LISTENER_EVENTS = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_remove",
    "after_remove",
    "before_soft_remove",
    "after_soft_remove",
    "before_recover",
    "after_recover",
    "after_load",
)
_MARK = "__ormshift_listener__"


def _marker(event: str) -> Callable[[F], F]:
    def mark(fn: F) -> F:
        events = (*getattr(fn, _MARK, ()), event)
        setattr(fn, _MARK, events)
        return fn

    mark.__name__ = event
    mark.__doc__ = f"Mark a model method as its ``{event}`` listener (TypeORM's decorator)."
    return mark


before_insert = _marker("before_insert")
after_insert = _marker("after_insert")
before_update = _marker("before_update")
after_update = _marker("after_update")
before_remove = _marker("before_remove")
after_remove = _marker("after_remove")
before_soft_remove = _marker("before_soft_remove")
after_soft_remove = _marker("after_soft_remove")
before_recover = _marker("before_recover")
after_recover = _marker("after_recover")
after_load = _marker("after_load")


def listeners_of(cls: type[Any]) -> dict[str, tuple[str, ...]]:
    """Method names of ``cls``'s listeners by event (see `_listeners`)."""
    found: dict[str, tuple[str, ...]] = _listeners(cast(Hashable, cls))
    return found


@cache
def _listeners(cls: Any) -> dict[str, tuple[str, ...]]:
    """Method names of ``cls``'s listeners by event: base classes' first, each class's
    in the order it defines them (TypeORM's metadata lists inherited ones first)."""
    out: dict[str, list[str]] = {}
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            events = getattr(value, _MARK, None)
            if not events or name in seen:
                continue
            seen.add(name)
            for event in events:
                out.setdefault(event, []).append(name)
    return {event: tuple(names) for event, names in out.items()}


# ------------------------------------------------------------------------- events
@dataclass
class InsertEvent(Generic[E]):
    """TypeORM's ``InsertEvent``: ``entity`` as given (an instance for ``save``, the
    values for ``insert``); ``entity_id`` after the insert (``save`` only)."""

    manager: EntityManager
    entity: E | Mapping[str, object]
    target: type[E]
    entity_id: object = None


@dataclass
class UpdateEvent(Generic[E]):
    """TypeORM's ``UpdateEvent``: for ``save``, the row as loaded (``database_entity``)
    and the properties whose values change (``updated_columns``, by property path;
    ``updated_relations``, by relation name); for ``update``, the values only."""

    manager: EntityManager
    entity: E | Mapping[str, object]
    target: type[E]
    database_entity: E | None = None
    updated_columns: list[str] = field(default_factory=list)
    updated_relations: list[str] = field(default_factory=list)


@dataclass
class RemoveEvent(Generic[E]):
    """TypeORM's ``RemoveEvent`` / ``SoftRemoveEvent`` / ``RecoverEvent``."""

    manager: EntityManager
    entity: E | None
    target: type[E]
    database_entity: E | None = None
    entity_id: object = None


@dataclass
class LoadEvent(Generic[E]):
    manager: EntityManager
    entity: E
    target: type[E]


@dataclass
class TransactionEvent:
    manager: EntityManager


class EntitySubscriber(Generic[E]):
    """TypeORM's ``EntitySubscriberInterface``: override what you need
    (``EntitySubscriber[Post]`` with ``listen_to`` returning ``Post``)."""

    def listen_to(self) -> type[E] | None:
        """The model class (and its subclasses) heard; None: every class."""
        return None

    def after_load(self, entity: E, event: LoadEvent[E]) -> None: ...
    def before_insert(self, event: InsertEvent[E]) -> None: ...
    def after_insert(self, event: InsertEvent[E]) -> None: ...
    def before_update(self, event: UpdateEvent[E]) -> None: ...
    def after_update(self, event: UpdateEvent[E]) -> None: ...
    def before_remove(self, event: RemoveEvent[E]) -> None: ...
    def after_remove(self, event: RemoveEvent[E]) -> None: ...
    def before_soft_remove(self, event: RemoveEvent[E]) -> None: ...
    def after_soft_remove(self, event: RemoveEvent[E]) -> None: ...
    def before_recover(self, event: RemoveEvent[E]) -> None: ...
    def after_recover(self, event: RemoveEvent[E]) -> None: ...
    def before_transaction_start(self, event: TransactionEvent) -> None: ...
    def after_transaction_start(self, event: TransactionEvent) -> None: ...
    def before_transaction_commit(self, event: TransactionEvent) -> None: ...
    def after_transaction_commit(self, event: TransactionEvent) -> None: ...
    def before_transaction_rollback(self, event: TransactionEvent) -> None: ...
    def after_transaction_rollback(self, event: TransactionEvent) -> None: ...
