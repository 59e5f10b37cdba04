import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    ManyToOne,
    PrimaryGeneratedColumn,
    TableInheritance,
    UpdateDateColumn,
} from "typeorm"
import { Category } from "./Category"
import { Department } from "./Department"

/**
 * Root of a single-table inheritance hierarchy: Article and Video rows live in
 * the "content" table, told apart by the "kind" discriminator column.
 */
@Entity()
@TableInheritance({ column: { type: "varchar", name: "kind", length: 20 } })
export class Content {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 200 })
    title: string

    @Index({ unique: true })
    @Column({ length: 220 })
    slug: string

    @Column({ default: false })
    isPublished: boolean

    @ManyToOne(() => Category, (category) => category.contents, { nullable: true, onDelete: "SET NULL" })
    category: Category | null

    @ManyToOne(() => Department, { nullable: true, onDelete: "SET NULL" })
    ownerDepartment: Department | null

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date
}
