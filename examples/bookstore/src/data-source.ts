import "reflect-metadata"
import { DataSource } from "typeorm"
import { Author } from "./entity/Author"
import { Book } from "./entity/Book"
import { Category } from "./entity/Category"
import { Customer } from "./entity/Customer"
import { InventoryMovement } from "./entity/InventoryMovement"
import { Order } from "./entity/Order"
import { OrderLine } from "./entity/OrderLine"
import { Publisher } from "./entity/Publisher"
import { Review } from "./entity/Review"

// Connection settings (host, port, credentials, database) are supplied by the
// tooling at run time; only the model is described here. gen_random_uuid() is built
// into PostgreSQL 13+, so uuid keys need no contrib extension.
export const AppDataSource = new DataSource({
    type: "postgres",
    uuidExtension: "pgcrypto",
    entities: [
        Author,
        Publisher,
        Book,
        Category,
        Customer,
        Order,
        OrderLine,
        Review,
        InventoryMovement,
    ],
})

export default AppDataSource
