import {
    Check,
    Column,
    CreateDateColumn,
    Entity,
    JoinColumn,
    ManyToOne,
    PrimaryGeneratedColumn,
    Unique,
} from "typeorm"
import { Post } from "./Post"
import { User } from "./User"

/**
 * A reader's 1-5 star rating of a post; one rating per reader and post.
 * Uses explicit foreign-key columns next to the relations.
 */
@Entity()
@Unique(["postId", "userId"])
@Check('"rating" BETWEEN 1 AND 5')
export class PostRating {
    @PrimaryGeneratedColumn()
    id: number

    @Column()
    postId: number

    @ManyToOne(() => Post, (post) => post.ratings, { onDelete: "CASCADE" })
    @JoinColumn({ name: "postId" })
    post: Post

    @Column()
    userId: number

    @ManyToOne(() => User, { onDelete: "CASCADE" })
    @JoinColumn({ name: "userId" })
    user: User

    @Column({ type: "smallint" })
    rating: number

    @CreateDateColumn()
    createdAt: Date
}
