import {
    Column,
    Entity,
    Index,
    JoinTable,
    ManyToMany,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
} from "typeorm"
import { Category } from "./Category"
import { ShippingMethod } from "./ShippingMethod"

// a manufacturer never reuses a model number
@Index(["brand", "modelNumber"], { unique: true })
@Entity()
export class Product {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 40, unique: true })
    sku: string

    @Column({ length: 200 })
    name: string

    @Column({ length: 80 })
    brand: string

    @Column({ length: 80 })
    modelNumber: string

    @Column({ type: "numeric", precision: 12, scale: 2 })
    price: string

    // enum array: how this product may be shipped
    @Column({
        type: "enum",
        enum: ShippingMethod,
        array: true,
        default: [ShippingMethod.Standard],
    })
    shippingMethods: ShippingMethod[]

    @Column({ type: "simple-json", nullable: true })
    dimensions: { widthCm: number; heightCm: number; depthCm: number; weightKg: number } | null

    @Column({ type: "simple-array", nullable: true })
    searchKeywords: string[] | null

    // custom join table with explicit column names
    @ManyToMany(() => Category, (category) => category.products)
    @JoinTable({
        name: "product_categories",
        joinColumn: { name: "product_id", referencedColumnName: "id" },
        inverseJoinColumn: { name: "category_id", referencedColumnName: "id" },
    })
    categories: Category[]

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date
}
