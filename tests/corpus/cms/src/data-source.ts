import "reflect-metadata"
import { DataSource } from "typeorm"
import { Article } from "./entity/Article"
import { Asset } from "./entity/Asset"
import { Category } from "./entity/Category"
import { Content } from "./entity/Content"
import { Department } from "./entity/Department"
import { DocumentAsset } from "./entity/DocumentAsset"
import { ImageAsset } from "./entity/ImageAsset"
import { Menu } from "./entity/Menu"
import { Video } from "./entity/Video"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [
        Category,
        Menu,
        Department,
        Content,
        Article,
        Video,
        Asset,
        ImageAsset,
        DocumentAsset,
    ],
})

export default AppDataSource
