import { Column, Entity, ManyToOne, PrimaryColumn } from "typeorm"
import { Country } from "./Country"

/** Fulfilment centre, keyed by a short operator-assigned code such as "MAIN" or "BER1". */
@Entity()
export class Warehouse {
    @PrimaryColumn()
    code: string

    @Column({ length: 120 })
    name: string

    @Column({ default: true })
    isActive: boolean

    // explicit NO ACTION (PostgreSQL's default behaviour, spelled out)
    @ManyToOne(() => Country, { nullable: false, onDelete: "NO ACTION" })
    country: Country
}
