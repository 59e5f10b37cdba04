import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm"
import { Book } from "./Book"
import { Order } from "./Order"

/** Composite primary key: (orderId, lineNo). */
@Entity()
@Check('"quantity" > 0')
export class OrderLine {
    @PrimaryColumn()
    orderId: number

    @PrimaryColumn({ type: "smallint" })
    lineNo: number

    @ManyToOne(() => Order, (order) => order.lines, { onDelete: "CASCADE", orphanedRowAction: "delete" })
    @JoinColumn({ name: "orderId" })
    order: Order

    @ManyToOne(() => Book, { nullable: false, onDelete: "RESTRICT" })
    book: Book

    @Column({ type: "int" })
    quantity: number

    // price at the time of purchase
    @Column({ type: "numeric", precision: 10, scale: 2 })
    unitPrice: string
}
