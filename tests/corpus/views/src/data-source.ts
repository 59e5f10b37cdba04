import "reflect-metadata"
import { DataSource } from "typeorm"
import { Client } from "./entity/Client"
import { Invoice } from "./entity/Invoice"
import { BigClient, ClientTotal, OpenInvoice } from "./entity/Reports"

/** Views listed before the view they depend on, and before the tables they read. */
export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [BigClient, ClientTotal, OpenInvoice, Client, Invoice],
})

export default AppDataSource
