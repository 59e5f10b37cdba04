import {
    Column,
    Entity,
    OneToMany,
    PrimaryGeneratedColumn,
    Tree,
    TreeChildren,
    TreeParent,
} from "typeorm"
import { Content } from "./Content"

/** Editorial taxonomy stored as a closure table (category + category_closure). */
@Entity()
@Tree("closure-table")
export class Category {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    name: string

    @Column({ length: 120, unique: true })
    slug: string

    @TreeParent({ onDelete: "CASCADE" })
    parent: Category | null

    @TreeChildren()
    children: Category[]

    @OneToMany(() => Content, (content) => content.category)
    contents: Content[]
}
