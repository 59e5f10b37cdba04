import { Column, CreateDateColumn, Entity, Index, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { Book } from "./Book"

@Entity()
@Index(["lastName", "firstName"])
export class Author {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    firstName: string

    @Column({ length: 100 })
    lastName: string

    @Column({ type: "text", nullable: true })
    biography: string | null

    @Column({ type: "smallint", nullable: true })
    birthYear: number | null

    @ManyToMany(() => Book, (book) => book.authors)
    books: Book[]

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date
}
