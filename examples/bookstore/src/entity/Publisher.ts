import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Book } from "./Book"

@Entity()
export class Publisher {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 150, unique: true })
    name: string

    @Column({ type: "varchar", length: 255, nullable: true })
    website: string | null

    @Column({ type: "char", length: 2 })
    country: string

    @OneToMany(() => Book, (book) => book.publisher)
    books: Book[]
}
