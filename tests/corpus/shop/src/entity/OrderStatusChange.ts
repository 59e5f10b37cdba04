import { Column, CreateDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Order } from "./Order"
import { OrderStatus } from "./OrderStatus"

/** Audit trail of order status transitions; re-uses the "order_status" enum type. */
@Entity()
export class OrderStatusChange {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @ManyToOne(() => Order, (order) => order.statusHistory, { nullable: false, onDelete: "CASCADE" })
    order: Order

    @Column({ type: "enum", enum: OrderStatus, enumName: "order_status", nullable: true })
    fromStatus: OrderStatus | null

    @Column({ type: "enum", enum: OrderStatus, enumName: "order_status" })
    toStatus: OrderStatus

    @Column({ type: "text", nullable: true })
    note: string | null

    @CreateDateColumn({ type: "timestamptz" })
    changedAt: Date
}
