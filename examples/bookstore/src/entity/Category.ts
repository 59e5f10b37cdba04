import {
    Column,
    Entity,
    ManyToMany,
    PrimaryGeneratedColumn,
    Tree,
    TreeChildren,
    TreeParent,
} from "typeorm"
import { Book } from "./Book"

/** Shop taxonomy, e.g. Fiction > Crime > Nordic noir. Closure table: category_closure. */
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

    @ManyToMany(() => Book, (book) => book.categories)
    books: Book[]
}
