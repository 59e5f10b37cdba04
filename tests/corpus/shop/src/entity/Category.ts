import { Column, Entity, ManyToMany, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Product } from "./Product"

@Entity()
export class Category {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 100, unique: true })
    slug: string

    @Column({ length: 100 })
    name: string

    // deleting a parent category turns its children into top-level categories
    @ManyToOne(() => Category, (category) => category.children, { nullable: true, onDelete: "SET NULL" })
    parent: Category | null

    @OneToMany(() => Category, (category) => category.parent)
    children: Category[]

    @ManyToMany(() => Product, (product) => product.categories)
    products: Product[]
}
