import { Column, Entity, ManyToMany, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Book } from "./Book"

@Entity()
export class Category {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 60, unique: true })
    name: string

    @Column({ type: "int", default: 0 })
    position: number

    @ManyToOne(() => Category, (category) => category.children, { nullable: true })
    parent: Category | null

    @OneToMany(() => Category, (category) => category.parent)
    children: Category[]

    @ManyToMany(() => Book, (book) => book.categories)
    books: Book[]
}
