import "reflect-metadata"
import { DataSource } from "typeorm"
import { Account } from "./entity/Account"
import { Entry } from "./entity/Entry"
import { Memo } from "./entity/Memo"
import { EventLog } from "./entity/EventLog"
import { AccountSubscriber } from "./subscriber/AccountSubscriber"
import { EventLogSubscriber } from "./subscriber/EventLogSubscriber"
import { RollbackTrapSubscriber } from "./subscriber/RollbackTrapSubscriber"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Account, Entry, EventLog, Memo],
    subscribers: [EventLogSubscriber, AccountSubscriber, RollbackTrapSubscriber],
})

export default AppDataSource
