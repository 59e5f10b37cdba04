import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
} from "typeorm"
import { Address } from "./Address"
import { Customer } from "./Customer"
import { OrderLine } from "./OrderLine"
import { OrderStatus } from "./OrderStatus"

// "order" is a reserved word, so the table is called "orders"
@Entity("orders")
@Index(["customer", "placedAt"])
export class Order {
    @PrimaryGeneratedColumn()
    id: number

    @ManyToOne(() => Customer, (customer) => customer.orders, { nullable: false, onDelete: "RESTRICT" })
    customer: Customer

    @Column({ type: "enum", enum: OrderStatus, enumName: "order_status", default: OrderStatus.Pending })
    status: OrderStatus

    @Column({ type: "numeric", precision: 10, scale: 2, default: 0 })
    totalAmount: string

    @Column({ type: "char", length: 3, default: "EUR" })
    currency: string

    // address the parcel was sent to, copied from the customer at checkout
    @Column(() => Address, { prefix: "shipTo" })
    shipTo: Address

    @OneToMany(() => OrderLine, (line) => line.order, { cascade: true })
    lines: OrderLine[]

    @CreateDateColumn({ type: "timestamptz" })
    placedAt: Date

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date
}
