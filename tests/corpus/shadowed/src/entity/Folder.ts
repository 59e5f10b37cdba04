import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Note } from "./Note"

/** Properties named like what generated modules import; a lazy one-to-many. */
@Entity()
export class Folder {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 80 })
    text: string

    @Column({ type: "varchar", default: "x" })
    Index: string

    @OneToMany(() => Note, (note) => note.relationship)
    notes: Promise<Note[]>
}
