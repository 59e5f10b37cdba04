import {
    Column,
    CreateDateColumn,
    Entity,
    JoinColumn,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
} from "typeorm"
import type { RelationOptions } from "typeorm"
import { Customer } from "./Customer"
import { OrderLine } from "./OrderLine"
import { OrderStatus } from "./OrderStatus"
import { OrderStatusChange } from "./OrderStatusChange"
import { Warehouse } from "./Warehouse"

@Entity("orders")
export class Order {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 20, unique: true })
    orderNumber: string

    // named enum type shared with OrderStatusChange.fromStatus / toStatus
    @Column({ type: "enum", enum: OrderStatus, enumName: "order_status", default: OrderStatus.Pending })
    status: OrderStatus

    @Column({ type: "numeric", precision: 12, scale: 2, default: 0 })
    totalAmount: string

    @Column({ type: "char", length: 3, default: "EUR" })
    currency: string

    // customers with orders cannot be deleted
    @ManyToOne(() => Customer, (customer) => customer.orders, { nullable: false, onDelete: "RESTRICT" })
    customer: Customer

    // when a warehouse is closed, its orders fall back to the default warehouse "MAIN"
    @Column({ default: "MAIN" })
    warehouseCode: string

    // TypeORM's OnDeleteType has no "SET DEFAULT" member (its "DEFAULT" emits invalid SQL
    // on PostgreSQL), hence the cast; the value is passed through to the DDL verbatim.
    @ManyToOne(() => Warehouse, {
        nullable: false,
        onDelete: "SET DEFAULT" as RelationOptions["onDelete"],
    })
    @JoinColumn({ name: "warehouseCode", referencedColumnName: "code" })
    fulfilledFrom: Warehouse

    // lines removed from order.lines are deleted on save (see OrderLine.order)
    @OneToMany(() => OrderLine, (line) => line.order, { cascade: true, orphanedRowAction: "delete" })
    lines: OrderLine[]

    @OneToMany(() => OrderStatusChange, (change) => change.order)
    statusHistory: OrderStatusChange[]

    @CreateDateColumn({ type: "timestamptz" })
    placedAt: Date
}
