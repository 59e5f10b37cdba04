import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Author } from "./Author"
import { Book } from "./Book"

@Entity()
export class Review {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "int" })
    stars: number

    @Column({ type: "text", nullable: true })
    body: string | null

    @ManyToOne(() => Book, (book) => book.reviews, { onDelete: "CASCADE" })
    book: Book

    // loaded with every review (eager)
    @ManyToOne(() => Author, (author) => author.reviews, { nullable: true, eager: true })
    critic: Author | null
}
