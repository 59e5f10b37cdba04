import { Column, Entity, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { Post } from "./Post"

@Entity()
export class Tag {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 60, unique: true })
    name: string

    @Column({ length: 60 })
    label: string

    // inverse side of Post.tags, lazy
    @ManyToMany(() => Post, (post) => post.tags)
    posts: Promise<Post[]>
}
