import {
    Column,
    CreateDateColumn,
    DeleteDateColumn,
    Entity,
    Index,
    OneToMany,
    OneToOne,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
    VersionColumn,
} from "typeorm"
import { Comment } from "./Comment"
import { Post } from "./Post"
import { Profile } from "./Profile"
import { UserRole } from "./UserRole"

@Entity()
export class User {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 255, unique: true })
    email: string

    @Column({ length: 50 })
    username: string

    @Column({ length: 120 })
    displayName: string

    @Column({ type: "simple-enum", enum: UserRole, default: UserRole.Reader })
    role: UserRole

    @Index()
    @Column({ type: "timestamptz", nullable: true })
    lastLoginAt: Date | null

    @CreateDateColumn()
    createdAt: Date

    @UpdateDateColumn()
    updatedAt: Date

    @DeleteDateColumn()
    deletedAt: Date | null

    @VersionColumn()
    version: number

    @OneToOne(() => Profile, (profile) => profile.user, { cascade: true })
    profile: Profile

    // lazy relation: resolved on access
    @OneToMany(() => Post, (post) => post.author)
    posts: Promise<Post[]>

    @OneToMany(() => Comment, (comment) => comment.author)
    comments: Comment[]
}
