import {
    Check,
    Column,
    CreateDateColumn,
    Entity,
    Index,
    ManyToOne,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Book } from "./Book"
import { Customer } from "./Customer"

@Entity()
@Check('"rating" BETWEEN 1 AND 5')
@Index(["book", "createdAt"])
export class Review {
    @PrimaryGeneratedColumn()
    id: number

    @ManyToOne(() => Book, (book) => book.reviews, { nullable: false, onDelete: "CASCADE" })
    book: Book

    // reviews stay visible (anonymised) when the customer deletes the account
    @ManyToOne(() => Customer, { nullable: true, onDelete: "SET NULL" })
    customer: Customer | null

    @Column({ type: "smallint" })
    rating: number

    @Column({ type: "varchar", length: 200, nullable: true })
    headline: string | null

    @Column({ type: "text" })
    body: string

    @Column({ default: false })
    verifiedPurchase: boolean

    @CreateDateColumn({ type: "timestamptz" })
    createdAt: Date
}
