"""The subscribers of hooks, ported by hand from src/subscriber/*.ts."""

from __future__ import annotations

import json
from typing import Any

from ormshift.orm import (
    EntitySubscriber,
    InsertEvent,
    LoadEvent,
    RemoveEvent,
    TransactionEvent,
    UpdateEvent,
)
from ormshift.orm.metadata import entity_info

from .account import Account
from .entry import Entry
from .js import js_text


def show(value: Any) -> str:
    """As show.ts writes a value into the log."""
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _log(manager: Any, event: str, entity: str | None, detail: str | None) -> None:
    manager.query(
        "INSERT INTO event_log (event, entity, detail) VALUES ($1, $2, $3)",
        [event, entity, detail],
    )


def _keys(value: Any) -> str:
    """As keys() in EventLogSubscriber.ts: Object.keys of a plain object of values, or
    of an entity that is no Account or Entry (an EventLog: the properties it was given)."""
    if value is None or isinstance(value, Account | Entry):
        return ""
    if isinstance(value, dict):
        return " keys=" + ",".join(value)
    info = entity_info(type(value))  # TypeORM's names (the attribute of "event" is event_)
    # a join column behind a relation is no property of TypeORM's entity (SQLAlchemy
    # sets it on the object when it writes the relation's key)
    own = [k for k in vars(value) if not k.startswith("_") and k not in info.join_only_columns]
    return " keys=" + ",".join(info.property_of(k) for k in own)


def _key(value: Any) -> str:
    return show(value.id) if isinstance(value, Account | Entry) else "-"


def _update_detail(event: UpdateEvent) -> str:
    columns = ",".join(event.updated_columns)
    relations = ",".join(event.updated_relations)
    db = "-"
    if event.database_entity is not None:
        found = getattr(event.database_entity, "revision", None)
        if found is None:
            found = getattr(event.database_entity, "amount", None)
        db = show(found)
    return f"id={_key(event.entity)} cols={columns} rels={relations} db={db}{_keys(event.entity)}"


def _remove_detail(event: RemoveEvent) -> str:
    db = "-" if event.database_entity is None else show(event.database_entity.id)
    return f"id={_key(event.entity)} entityId={show(event.entity_id)} db={db}"


class AccountSubscriber(EntitySubscriber):
    """Hears accounts only; what it sets is written."""

    def listen_to(self) -> type[Any] | None:
        return Account

    def before_insert(self, event: InsertEvent) -> None:
        entity = event.entity
        if isinstance(entity, dict):
            if entity.get("displayName") is None and entity.get("handle"):
                entity["displayName"] = "@" + entity["handle"]
        elif entity.displayName is None and entity.handle:
            entity.displayName = "@" + entity.handle

    def before_update(self, event: UpdateEvent) -> None:
        entity = event.entity
        if entity is None:
            return
        if isinstance(entity, dict):
            handle = entity.get("handle")
            entity["displayName"] = "~" + ("" if handle is None else handle)
        else:
            entity.displayName = "~" + ("" if entity.handle is None else entity.handle)


class EventLogSubscriber(EntitySubscriber):
    """Hears every entity; logs every event it is given, the transaction ones too."""

    def after_load(self, entity: Any, event: LoadEvent) -> None:
        if isinstance(entity, Account):
            _log(
                event.manager,
                "afterLoad",
                "Account",
                f"{js_text(entity, 'id')} initials={js_text(entity, 'initials')}",
            )
        elif isinstance(entity, Entry):
            _log(
                event.manager,
                "afterLoad",
                "Entry",
                f"{js_text(entity, 'id')} {js_text(entity, 'loadedAs')}",
            )

    def before_insert(self, event: InsertEvent) -> None:
        name = event.target.__name__
        _log(event.manager, "beforeInsert", name, f"id={_key(event.entity)}{_keys(event.entity)}")

    def after_insert(self, event: InsertEvent) -> None:
        name = event.target.__name__
        detail = f"id={_key(event.entity)} entityId={show(event.entity_id)}"
        _log(event.manager, "afterInsert", name, detail)

    def before_update(self, event: UpdateEvent) -> None:
        _log(event.manager, "beforeUpdate", event.target.__name__, _update_detail(event))

    def after_update(self, event: UpdateEvent) -> None:
        _log(event.manager, "afterUpdate", event.target.__name__, _update_detail(event))

    def before_remove(self, event: RemoveEvent) -> None:
        _log(event.manager, "beforeRemove", event.target.__name__, _remove_detail(event))

    def after_remove(self, event: RemoveEvent) -> None:
        _log(event.manager, "afterRemove", event.target.__name__, _remove_detail(event))

    def before_soft_remove(self, event: RemoveEvent) -> None:
        _log(event.manager, "beforeSoftRemove", event.target.__name__, _remove_detail(event))

    def after_soft_remove(self, event: RemoveEvent) -> None:
        _log(event.manager, "afterSoftRemove", event.target.__name__, _remove_detail(event))

    def before_recover(self, event: RemoveEvent) -> None:
        _log(event.manager, "beforeRecover", event.target.__name__, _remove_detail(event))

    def after_recover(self, event: RemoveEvent) -> None:
        _log(event.manager, "afterRecover", event.target.__name__, _remove_detail(event))

    def before_transaction_start(self, event: TransactionEvent) -> None:
        _log(event.manager, "beforeTransactionStart", None, None)

    def after_transaction_start(self, event: TransactionEvent) -> None:
        _log(event.manager, "afterTransactionStart", None, None)

    def before_transaction_commit(self, event: TransactionEvent) -> None:
        _log(event.manager, "beforeTransactionCommit", None, None)

    def after_transaction_commit(self, event: TransactionEvent) -> None:
        _log(event.manager, "afterTransactionCommit", None, None)

    def before_transaction_rollback(self, event: TransactionEvent) -> None:
        _log(event.manager, "beforeTransactionRollback", None, None)

    def after_transaction_rollback(self, event: TransactionEvent) -> None:
        _log(event.manager, "afterTransactionRollback", None, None)


class RollbackTrapSubscriber(EntitySubscriber):
    """A rollback listener that raises on its own (no query refused) when the
    transaction being rolled back holds a memo reading "rollback-trap"."""

    def before_transaction_rollback(self, event: TransactionEvent) -> None:
        if event.manager.query("SELECT 1 FROM memo WHERE text = $1", ["rollback-trap"]):
            raise RuntimeError("rollback trap")


#: the DataSource's subscribers, in TypeORM's order (that of their @EventSubscriber)
SUBSCRIBERS = [AccountSubscriber(), EventLogSubscriber(), RollbackTrapSubscriber()]
