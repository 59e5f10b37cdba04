import {
    Column,
    DeleteDateColumn,
    Entity,
    OneToMany,
    OneToOne,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Biography } from "./Biography"
import { Book } from "./Book"
import { Contact } from "./Contact"
import { Review } from "./Review"

@Entity()
export class Author {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 50 })
    firstName: string

    @Column({ length: 50 })
    lastName: string

    @Column({ type: "int", nullable: true })
    born: number | null

    @Column({ default: true })
    active: boolean

    // never read unless selected (TypeORM's select: false)
    @Column({ type: "varchar", length: 40, nullable: true, select: false })
    secret: string | null

    @Column(() => Contact)
    contact: Contact

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null

    @OneToMany(() => Book, (book) => book.author)
    books: Book[]

    @OneToMany(() => Review, (review) => review.critic)
    reviews: Review[]

    @OneToOne(() => Biography, (bio) => bio.author)
    biography: Biography | null
}
