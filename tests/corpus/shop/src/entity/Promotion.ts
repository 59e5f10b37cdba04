import { Column, Entity, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { OrderLine } from "./OrderLine"

@Entity()
export class Promotion {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 40, unique: true })
    code: string

    @Column({ type: "numeric", precision: 5, scale: 2 })
    percentOff: string

    @Column({ type: "timestamptz" })
    validFrom: Date

    @Column({ type: "timestamptz", nullable: true })
    validUntil: Date | null

    @ManyToMany(() => OrderLine, (line) => line.promotions)
    orderLines: OrderLine[]
}
