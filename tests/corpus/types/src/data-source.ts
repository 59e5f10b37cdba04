import "reflect-metadata"
import { DataSource } from "typeorm"
import { AlertRule } from "./entity/AlertRule"
import { Host } from "./entity/Host"
import { InventoryReport } from "./entity/InventoryReport"
import { MaintenanceWindow } from "./entity/MaintenanceWindow"
import { Probe } from "./entity/Probe"

export const AppDataSource = new DataSource({
    type: "postgres",
    // uuid columns generated with gen_random_uuid() instead of uuid_generate_v4()
    uuidExtension: "pgcrypto",
    entities: [Host, InventoryReport, MaintenanceWindow, AlertRule, Probe],
})

export default AppDataSource
