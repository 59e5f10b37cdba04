import {
    Column,
    CreateDateColumn,
    DeleteDateColumn,
    Entity,
    Index,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
    VersionColumn,
} from "typeorm"
import { Comment } from "./Comment"
import { PostRating } from "./PostRating"
import { PostStatus } from "./PostStatus"
import { SeoMeta } from "./SeoMeta"
import { Tag } from "./Tag"
import { User } from "./User"

// slugs must be unique among posts that are not soft-deleted
@Index(["slug"], { unique: true, where: '"deletedAt" IS NULL' })
// listing an author's posts by status
@Index(["author", "status"])
@Entity()
export class Post {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 200 })
    title: string

    @Column({ length: 220 })
    slug: string

    @Column({ type: "text" })
    body: string

    @Column({ type: "varchar", length: 500, nullable: true })
    excerpt: string | null

    @Column({ type: "enum", enum: PostStatus, default: PostStatus.Draft })
    status: PostStatus

    @Index()
    @Column({ type: "timestamptz", nullable: true })
    publishedAt: Date | null

    @Column({ type: "int", default: 0 })
    viewCount: number

    // embedded without prefix: metaTitle, metaDescription, noIndex
    @Column(() => SeoMeta, { prefix: false })
    seo: SeoMeta

    @ManyToOne(() => User, (user) => user.posts, { nullable: false, onDelete: "CASCADE" })
    author: User

    @OneToMany(() => Comment, (comment) => comment.post, { cascade: ["insert", "update"] })
    comments: Comment[]

    @OneToMany(() => PostRating, (rating) => rating.post)
    ratings: PostRating[]

    // default join table: post_tags_tag ("postId", "tagId")
    @ManyToMany(() => Tag, (tag) => tag.posts, { cascade: ["insert"] })
    @JoinTable()
    tags: Tag[]

    @CreateDateColumn()
    createdAt: Date

    @UpdateDateColumn()
    updatedAt: Date

    @DeleteDateColumn()
    deletedAt: Date | null

    @VersionColumn()
    version: number
}
