import { Column, Entity, ManyToMany, PrimaryColumn, Unique } from "typeorm"
import { ServiceRecord } from "./ServiceRecord"

// natural key, and a second unique pair for upserts
@Entity()
@Unique(["maker", "partNo"])
export class Part {
    @PrimaryColumn({ length: 20 })
    sku: string

    @Column({ length: 40 })
    maker: string

    @Column({ length: 20 })
    partNo: string

    @Column({ length: 80 })
    name: string

    @Column({ type: "int", default: 0 })
    stock: number

    @Column({ type: "int", nullable: true })
    price: number | null

    @ManyToMany(() => ServiceRecord, (record) => record.parts)
    services: ServiceRecord[]
}
