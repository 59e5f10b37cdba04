import {
    Column,
    CreateDateColumn,
    Entity,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
} from "typeorm"
import { Post } from "./Post"
import { User } from "./User"

@Entity()
export class Comment {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text" })
    body: string

    @Column({ default: false })
    isApproved: boolean

    @ManyToOne(() => Post, (post) => post.comments, { nullable: false, onDelete: "CASCADE" })
    post: Post

    // the comment author is always loaded with the comment
    @ManyToOne(() => User, (user) => user.comments, { eager: true, nullable: true, onDelete: "SET NULL" })
    author: User | null

    // self-reference: threaded replies
    @ManyToOne(() => Comment, (comment) => comment.replies, { nullable: true, onDelete: "CASCADE" })
    parent: Comment | null

    @OneToMany(() => Comment, (comment) => comment.parent)
    replies: Comment[]

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date
}
