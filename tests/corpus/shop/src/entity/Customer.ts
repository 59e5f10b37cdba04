import {
    Column,
    CreateDateColumn,
    Entity,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Country } from "./Country"
import { Order } from "./Order"

export interface CustomerPreferences {
    newsletter: boolean
    language: string
    currency?: string
}

@Entity()
export class Customer {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 255, unique: true })
    email: string

    @Column({ length: 120 })
    fullName: string

    // stored as a JSON string in a text column
    @Column({ type: "simple-json", nullable: true })
    preferences: CustomerPreferences | null

    // stored as a comma-separated text column
    @Column({ type: "simple-array" })
    phoneNumbers: string[]

    // countries cannot be removed while customers live there; code changes cascade
    @ManyToOne(() => Country, { nullable: false, onDelete: "RESTRICT", onUpdate: "CASCADE" })
    country: Country

    @OneToMany(() => Order, (order) => order.customer)
    orders: Order[]

    @CreateDateColumn({ type: "timestamptz" })
    registeredAt: Date
}
