import "reflect-metadata"
import { DataSource } from "typeorm"
import { Account } from "./entity/Account"
import { Charge } from "./entity/Charge"
import { Tag } from "./entity/Tag"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Account, Charge, Tag],
})

export default AppDataSource
