import {
    EntityManager,
    EntitySubscriberInterface,
    EventSubscriber,
    InsertEvent,
    LoadEvent,
    RecoverEvent,
    RemoveEvent,
    SoftRemoveEvent,
    TransactionCommitEvent,
    TransactionRollbackEvent,
    TransactionStartEvent,
    UpdateEvent,
} from "typeorm"
import { Account } from "../entity/Account"
import { Entry } from "../entity/Entry"
import { show } from "./show"

function log(manager: EntityManager, event: string, entity: string | null, detail: string | null) {
    return manager.query("INSERT INTO event_log (event, entity, detail) VALUES ($1, $2, $3)", [event, entity, detail])
}

function isEntity(value: unknown): boolean {
    return value instanceof Account || value instanceof Entry
}

// the keys of a plain object of values (an insert's or an update's), nothing for an entity
function keys(value: unknown): string {
    if (value === undefined || value === null || isEntity(value)) return ""
    return " keys=" + Object.keys(value as object).join(",")
}

function key(value: unknown): string {
    if (value instanceof Account || value instanceof Entry) return show(value.id)
    return "-"
}

// Hears every entity; logs every event it is given, the transaction ones too.
@EventSubscriber()
export class EventLogSubscriber implements EntitySubscriberInterface {
    afterLoad(entity: unknown, event: LoadEvent<unknown>) {
        if (entity instanceof Account) return log(event.manager, "afterLoad", "Account", `${entity.id} initials=${entity.initials}`)
        if (entity instanceof Entry) return log(event.manager, "afterLoad", "Entry", `${entity.id} ${entity.loadedAs}`)
        return undefined
    }

    beforeInsert(event: InsertEvent<any>) {
        return log(event.manager, "beforeInsert", event.metadata.name, `id=${key(event.entity)}${keys(event.entity)}`)
    }

    // (not the keys of an insert's values: TypeORM merges the generated ones into them)
    afterInsert(event: InsertEvent<any>) {
        return log(event.manager, "afterInsert", event.metadata.name, `id=${key(event.entity)} entityId=${show(event.entityId)}`)
    }

    beforeUpdate(event: UpdateEvent<any>) {
        return log(event.manager, "beforeUpdate", event.metadata.name, updateDetail(event))
    }

    afterUpdate(event: UpdateEvent<any>) {
        return log(event.manager, "afterUpdate", event.metadata.name, updateDetail(event))
    }

    beforeRemove(event: RemoveEvent<any>) {
        return log(event.manager, "beforeRemove", event.metadata.name, removeDetail(event))
    }

    afterRemove(event: RemoveEvent<any>) {
        return log(event.manager, "afterRemove", event.metadata.name, removeDetail(event))
    }

    beforeSoftRemove(event: SoftRemoveEvent<any>) {
        return log(event.manager, "beforeSoftRemove", event.metadata.name, removeDetail(event))
    }

    afterSoftRemove(event: SoftRemoveEvent<any>) {
        return log(event.manager, "afterSoftRemove", event.metadata.name, removeDetail(event))
    }

    beforeRecover(event: RecoverEvent<any>) {
        return log(event.manager, "beforeRecover", event.metadata.name, removeDetail(event))
    }

    afterRecover(event: RecoverEvent<any>) {
        return log(event.manager, "afterRecover", event.metadata.name, removeDetail(event))
    }

    beforeTransactionStart(event: TransactionStartEvent) {
        return log(event.manager, "beforeTransactionStart", null, null)
    }

    afterTransactionStart(event: TransactionStartEvent) {
        return log(event.manager, "afterTransactionStart", null, null)
    }

    beforeTransactionCommit(event: TransactionCommitEvent) {
        return log(event.manager, "beforeTransactionCommit", null, null)
    }

    afterTransactionCommit(event: TransactionCommitEvent) {
        return log(event.manager, "afterTransactionCommit", null, null)
    }

    beforeTransactionRollback(event: TransactionRollbackEvent) {
        return log(event.manager, "beforeTransactionRollback", null, null)
    }

    afterTransactionRollback(event: TransactionRollbackEvent) {
        return log(event.manager, "afterTransactionRollback", null, null)
    }
}

function updateDetail(event: UpdateEvent<any>): string {
    const columns = event.updatedColumns.map((c) => c.propertyPath).join(",")
    const relations = event.updatedRelations.map((r) => r.propertyPath).join(",")
    const db = event.databaseEntity ? show(event.databaseEntity.revision ?? event.databaseEntity.amount) : "-"
    return `id=${key(event.entity)} cols=${columns} rels=${relations} db=${db}${keys(event.entity)}`
}

function removeDetail(event: RemoveEvent<any> | SoftRemoveEvent<any> | RecoverEvent<any>): string {
    const db = event.databaseEntity ? show(event.databaseEntity.id) : "-"
    return `id=${key(event.entity)} entityId=${show(event.entityId)} db=${db}`
}
