import "reflect-metadata"
import { DataSource } from "typeorm"
import { Comment } from "./entity/Comment"
import { Post } from "./entity/Post"
import { PostRating } from "./entity/PostRating"
import { Profile } from "./entity/Profile"
import { Tag } from "./entity/Tag"
import { User } from "./entity/User"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [User, Profile, Post, Comment, Tag, PostRating],
})

export default AppDataSource
