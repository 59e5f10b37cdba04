import {
    Column,
    CreateDateColumn,
    DeleteDateColumn,
    Entity,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
    VersionColumn,
} from "typeorm"
import { Author } from "./Author"
import { Category } from "./Category"
import { Genre } from "./Genre"
import { Review } from "./Review"

@Entity()
export class Book {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    title: string

    @Column({ type: "int" })
    pages: number

    // in cents
    @Column({ type: "int", default: 0 })
    price: number

    @Column({ type: "varchar", length: 20, nullable: true, unique: true })
    isbn: string | null

    @Column({ type: "enum", enum: Genre, default: Genre.Novel })
    genre: Genre

    @Column({ type: "text", array: true, default: () => "'{}'" })
    keywords: string[]

    @Column({ type: "jsonb", nullable: true })
    extra: Record<string, unknown> | null

    @Column({ type: "timestamptz", nullable: true })
    publishedAt: Date | null

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date

    @VersionColumn()
    version: number

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null

    @ManyToOne(() => Author, (author) => author.books, { nullable: true, onDelete: "SET NULL" })
    author: Author | null

    @ManyToMany(() => Category, (category) => category.books)
    @JoinTable()
    categories: Category[]

    @OneToMany(() => Review, (review) => review.book)
    reviews: Review[]
}
