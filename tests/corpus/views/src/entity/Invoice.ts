import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Client } from "./Client"

@Entity()
export class Invoice {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "numeric", precision: 12, scale: 2 })
    amount: string

    @Column({ type: "boolean", default: false })
    paid: boolean

    @ManyToOne(() => Client, (client) => client.invoices, { onDelete: "CASCADE" })
    client: Client
}
