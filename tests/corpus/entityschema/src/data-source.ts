import "reflect-metadata"
import { DataSource } from "typeorm"
import { Author } from "./entity/Author"
import { BookSchema } from "./entity/Book"
import { ChapterSchema } from "./entity/Chapter"
import { WriterSchema } from "./entity/Writer"

/** Decorated classes and EntitySchema definitions side by side. */
export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Author, WriterSchema, BookSchema, ChapterSchema],
})

export default AppDataSource
