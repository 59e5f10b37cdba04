import "reflect-metadata"
import { DataSource } from "typeorm"
import { Car } from "./entity/Car"
import { Garage } from "./entity/Garage"
import { Licence } from "./entity/Licence"
import { Motorbike } from "./entity/Motorbike"
import { Owner } from "./entity/Owner"
import { Part } from "./entity/Part"
import { ServiceRecord } from "./entity/ServiceRecord"
import { Truck } from "./entity/Truck"
import { Vehicle } from "./entity/Vehicle"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Vehicle, Car, Truck, Motorbike, Owner, Licence, Garage, Part, ServiceRecord],
})

export default AppDataSource
