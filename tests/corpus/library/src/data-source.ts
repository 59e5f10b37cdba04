import "reflect-metadata"
import { DataSource } from "typeorm"
import { Author } from "./entity/Author"
import { Biography } from "./entity/Biography"
import { Book } from "./entity/Book"
import { Category } from "./entity/Category"
import { Review } from "./entity/Review"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Author, Biography, Book, Category, Review],
})

export default AppDataSource
