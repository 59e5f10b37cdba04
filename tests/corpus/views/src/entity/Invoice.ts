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

    // a stored generated column: TypeORM records its expression in typeorm_metadata
    @Column({
        type: "numeric",
        precision: 14,
        scale: 2,
        generatedType: "STORED",
        asExpression: `"amount" * 1.2`,
    })
    gross: string

    @ManyToOne(() => Client, (client) => client.invoices, { onDelete: "CASCADE" })
    client: Client
}
