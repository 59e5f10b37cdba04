import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    PrimaryColumn,
    UpdateDateColumn,
} from "typeorm"
import { Author } from "./Author"
import { BookFormat } from "./BookFormat"
import { Category } from "./Category"
import { Publisher } from "./Publisher"
import { Review } from "./Review"

export interface BookAttributes {
    language?: string
    edition?: string
    dimensionsMm?: { width: number; height: number; depth: number }
    weightGrams?: number
    [key: string]: unknown
}

@Entity()
export class Book {
    // ISBN-13 is the natural key of a book
    @PrimaryColumn({ type: "char", length: 13 })
    isbn: string

    @Index()
    @Column({ length: 255 })
    title: string

    @Column({ type: "varchar", length: 255, nullable: true })
    subtitle: string | null

    @Column({ type: "text", nullable: true })
    description: string | null

    @Column({ type: "enum", enum: BookFormat, default: BookFormat.Paperback })
    format: BookFormat

    @Column({ type: "numeric", precision: 10, scale: 2 })
    price: string

    @Column({ type: "char", length: 3, default: "EUR" })
    currency: string

    @Column({ type: "int", nullable: true })
    pageCount: number | null

    @Column({ type: "date", nullable: true })
    publishedOn: string | null

    // free-form, searchable attributes (edition, dimensions, ...)
    @Column({ type: "jsonb", default: () => "'{}'" })
    attributes: BookAttributes

    @Column({ type: "text", array: true, default: () => "'{}'" })
    tags: string[]

    @ManyToOne(() => Publisher, (publisher) => publisher.books, { nullable: true, onDelete: "SET NULL" })
    publisher: Publisher | null

    @ManyToMany(() => Author, (author) => author.books)
    @JoinTable({
        name: "book_authors",
        joinColumn: { name: "book_isbn", referencedColumnName: "isbn" },
        inverseJoinColumn: { name: "author_id", referencedColumnName: "id" },
    })
    authors: Author[]

    @ManyToMany(() => Category, (category) => category.books)
    @JoinTable({
        name: "book_categories",
        joinColumn: { name: "book_isbn", referencedColumnName: "isbn" },
        inverseJoinColumn: { name: "category_id", referencedColumnName: "id" },
    })
    categories: Category[]

    @OneToMany(() => Review, (review) => review.book)
    reviews: Review[]

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date
}
