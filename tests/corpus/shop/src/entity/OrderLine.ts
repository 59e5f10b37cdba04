import { Check, Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryColumn } from "typeorm"
import { Order } from "./Order"
import { Product } from "./Product"
import { Promotion } from "./Promotion"

/** One line of an order; composite primary key (orderId, lineNo). */
@Entity()
@Check('"quantity" > 0')
export class OrderLine {
    @PrimaryColumn("uuid")
    orderId: string

    @PrimaryColumn({ type: "smallint" })
    lineNo: number

    // FK checked at commit time, so lines and orders can be inserted in any order
    @ManyToOne(() => Order, (order) => order.lines, {
        onDelete: "CASCADE",
        deferrable: "INITIALLY DEFERRED",
        orphanedRowAction: "delete",
    })
    @JoinColumn({ name: "orderId" })
    order: Order

    // keep the line (with its price snapshot) when the product is discontinued
    @ManyToOne(() => Product, { nullable: true, onDelete: "SET NULL" })
    product: Product | null

    @Column({ length: 200 })
    productName: string

    @Column({ type: "int" })
    quantity: number

    @Column({ type: "numeric", precision: 12, scale: 2 })
    unitPrice: string

    // many-to-many whose owning side has a composite key: join table gets
    // "orderLineOrderId", "orderLineLineNo" and "promotionId"
    @ManyToMany(() => Promotion, (promotion) => promotion.orderLines)
    @JoinTable({ name: "order_line_promotions" })
    promotions: Promotion[]
}
