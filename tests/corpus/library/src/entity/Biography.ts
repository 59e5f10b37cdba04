import { Column, Entity, JoinColumn, OneToOne, PrimaryGeneratedColumn } from "typeorm"
import { Author } from "./Author"

@Entity()
export class Biography {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text" })
    text: string

    @Column({ type: "int", default: 0 })
    words: number

    @OneToOne(() => Author, (author) => author.biography, { nullable: true, onDelete: "SET NULL" })
    @JoinColumn()
    author: Author | null
}
