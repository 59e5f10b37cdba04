import { Column, Entity, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Link } from "./Link"
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

    @OneToMany(() => Link, (link) => link.text)
    links: Link[]

    // a relation named as the renamed column `text` is named in Python
    @OneToMany(() => Note, (note) => note.folder_)
    text_: Note[]
}
