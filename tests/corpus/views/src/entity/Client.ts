import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Invoice } from "./Invoice"

@Entity()
export class Client {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 100 })
    name: string

    @OneToMany(() => Invoice, (invoice) => invoice.client)
    invoices: Invoice[]
}
