import { EntitySchema } from "typeorm"
import { Writer } from "./Writer"

export interface Book {
    id: number
    title: string
    format: "paper" | "ebook"
    publishedOn: Date | null
    author: Writer
    coAuthors: Writer[]
}

export const BookSchema = new EntitySchema<Book>({
    name: "Book",
    tableName: "book",
    columns: {
        id: { type: "uuid", primary: true, generated: "uuid" },
        title: { type: "varchar", length: 200 },
        format: { type: "enum", enum: ["paper", "ebook"], default: "paper" },
        publishedOn: { type: "date", nullable: true },
    },
    relations: {
        author: { type: "many-to-one", target: "Writer", joinColumn: { name: "author_id" }, onDelete: "CASCADE" },
        coAuthors: { type: "many-to-many", target: "Writer", joinTable: { name: "book_co_authors" } },
    },
    indices: [{ name: "IDX_book_title", columns: ["title"] }],
    uniques: [{ name: "UQ_book_title_author", columns: ["title", "author"] }],
})
