import { EntitySubscriberInterface, EventSubscriber, InsertEvent, UpdateEvent } from "typeorm"
import { Account } from "../entity/Account"

// Hears accounts only; what it sets is written.
@EventSubscriber()
export class AccountSubscriber implements EntitySubscriberInterface<Account> {
    listenTo() {
        return Account
    }

    beforeInsert(event: InsertEvent<Account>) {
        const entity = event.entity
        if ((entity.displayName === undefined || entity.displayName === null) && entity.handle) {
            entity.displayName = "@" + entity.handle
        }
    }

    beforeUpdate(event: UpdateEvent<Account>) {
        const entity = event.entity as Partial<Account> | undefined
        if (entity) entity.displayName = "~" + (entity.handle ?? "")
    }
}
