import {
    Column,
    Entity,
    ManyToMany,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
    TableInheritance,
} from "typeorm"
import { Garage } from "./Garage"
import { Owner } from "./Owner"
import { ServiceRecord } from "./ServiceRecord"

/**
 * Root of a single-table hierarchy: Vehicle <- Car, Truck, Motorbike, all in "vehicle",
 * told apart by "kind".
 */
@Entity()
@TableInheritance({ column: { type: "varchar", name: "kind", length: 20 } })
export class Vehicle {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 40 })
    make: string

    @Column({ type: "varchar", length: 20, nullable: true, unique: true })
    plate: string | null

    @Column({ type: "int", default: 4 })
    wheels: number

    @Column({ type: "int", default: 0 })
    mileage: number

    @ManyToOne(() => Owner, (owner) => owner.vehicles, { nullable: true, onDelete: "SET NULL" })
    owner: Owner | null

    @OneToMany(() => ServiceRecord, (record) => record.vehicle, { cascade: true })
    services: ServiceRecord[]

    @ManyToMany(() => Garage, (garage) => garage.vehicles)
    garages: Garage[]
}
