import "reflect-metadata"
import { DataSource } from "typeorm"
import { Folder } from "./entity/Folder"
import { Link } from "./entity/Link"
import { Note } from "./entity/Note"
import { Shape, Circle, Square } from "./entity/Shape"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Folder, Link, Note, Shape, Circle, Square],
})

export default AppDataSource
