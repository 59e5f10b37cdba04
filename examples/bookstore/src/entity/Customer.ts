import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Address } from "./Address"
import { Order } from "./Order"

@Entity()
export class Customer {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 255, unique: true })
    email: string

    @Column({ length: 150 })
    fullName: string

    @Column({ default: false })
    marketingOptIn: boolean

    // billingLine1, billingCity, ... / shippingLine1, shippingCity, ...
    @Column(() => Address, { prefix: "billing" })
    billingAddress: Address

    @Column(() => Address, { prefix: "shipping" })
    shippingAddress: Address

    @OneToMany(() => Order, (order) => order.customer)
    orders: Order[]

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date
}
