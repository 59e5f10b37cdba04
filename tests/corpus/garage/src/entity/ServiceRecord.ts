import { Column, Entity, JoinTable, ManyToMany, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Part } from "./Part"
import { Vehicle } from "./Vehicle"

@Entity()
export class ServiceRecord {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text" })
    note: string

    @Column({ type: "int", default: 0 })
    cost: number

    @ManyToOne(() => Vehicle, (vehicle) => vehicle.services, { onDelete: "CASCADE" })
    vehicle: Vehicle

    // every cascade: new parts are inserted, given ones updated
    @ManyToMany(() => Part, (part) => part.services, { cascade: true })
    @JoinTable()
    parts: Part[]
}
