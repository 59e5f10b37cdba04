import { EntitySchema } from "typeorm"

export const ChapterSchema = new EntitySchema<{ bookId: string; number: number; heading: string; book: unknown }>({
    name: "Chapter",
    columns: {
        bookId: { type: "uuid", primary: true },
        number: { type: "smallint", primary: true },
        heading: { type: "text", nullable: false },
    },
    relations: {
        book: { type: "many-to-one", target: "Book", joinColumn: { name: "bookId" }, onDelete: "CASCADE" },
    },
    checks: [{ name: "CHK_chapter_number", expression: '"number" > 0' }],
})
