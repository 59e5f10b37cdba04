import {
    Column,
    CreateDateColumn,
    Entity,
    JoinTable,
    ManyToMany,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Vehicle } from "./Vehicle"

@Entity()
export class Garage {
    @PrimaryGeneratedColumn()
    id: number

    // the conflict path of upserts by name
    @Column({ length: 60, unique: true })
    name: string

    @Column({ type: "varchar", length: 60, nullable: true })
    city: string | null

    @Column({ type: "int", default: 10 })
    capacity: number

    // written once: never updated (update: false)
    @Column({ type: "varchar", length: 12, nullable: true, update: false })
    code: string | null

    @CreateDateColumn({ type: "timestamptz" })
    openedAt: Date

    // inserts new vehicles, never updates existing ones
    @ManyToMany(() => Vehicle, (vehicle) => vehicle.garages, { cascade: ["insert"] })
    @JoinTable()
    vehicles: Vehicle[]
}
