import { EntitySubscriberInterface, EventSubscriber, TransactionRollbackEvent } from "typeorm"

// A rollback listener that throws on its own (no query refused): when the transaction
// being rolled back holds a memo reading "rollback-trap". TypeORM's rollbackTransaction
// then stops before its ROLLBACK (TO SAVEPOINT): the savepoint stays open.
@EventSubscriber()
export class RollbackTrapSubscriber implements EntitySubscriberInterface {
    async beforeTransactionRollback(event: TransactionRollbackEvent) {
        const rows = await event.manager.query("SELECT 1 FROM memo WHERE text = $1", ["rollback-trap"])
        if (rows.length > 0) throw new Error("rollback trap")
    }
}
