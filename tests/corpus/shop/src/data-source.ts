import "reflect-metadata"
import { DataSource } from "typeorm"
import { Category } from "./entity/Category"
import { Country } from "./entity/Country"
import { Customer } from "./entity/Customer"
import { Order } from "./entity/Order"
import { OrderLine } from "./entity/OrderLine"
import { OrderStatusChange } from "./entity/OrderStatusChange"
import { Product } from "./entity/Product"
import { Promotion } from "./entity/Promotion"
import { Warehouse } from "./entity/Warehouse"

export const AppDataSource = new DataSource({
    type: "postgres",
    // uuid primary keys use uuid_generate_v4() from the default "uuid-ossp" extension
    entities: [
        Country,
        Warehouse,
        Customer,
        Category,
        Product,
        Promotion,
        Order,
        OrderLine,
        OrderStatusChange,
    ],
})

export default AppDataSource
