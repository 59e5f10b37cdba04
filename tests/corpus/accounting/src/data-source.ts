import "reflect-metadata"
import { DataSource } from "typeorm"
import { Account } from "./entity/Account"
import { CostCenter } from "./entity/CostCenter"
import { Currency } from "./entity/Currency"
import { FiscalPeriod } from "./entity/FiscalPeriod"
import { JournalEntry } from "./entity/JournalEntry"
import { Posting } from "./entity/Posting"
import { SnakeNamingStrategy } from "./naming/SnakeNamingStrategy"

export const AppDataSource = new DataSource({
    type: "postgres",
    namingStrategy: new SnakeNamingStrategy(),
    entities: [Currency, Account, FiscalPeriod, CostCenter, JournalEntry, Posting],
})

export default AppDataSource
