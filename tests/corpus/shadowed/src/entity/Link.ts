import {
    Column,
    Entity,
    JoinColumn,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    OneToOne,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Folder } from "./Folder"
import { Note } from "./Note"

/** Relations named like what generated modules import, like classes, and like a
 * renamed column's attribute. */
@Entity()
export class Link {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 40, default: "link" })
    label: string

    // the attribute a column `text` would take
    @Column({ type: "varchar", nullable: true })
    text_: string | null

    @ManyToOne(() => Folder, (folder) => folder.links, { nullable: true, onDelete: "SET NULL" })
    text: Folder | null

    @ManyToOne(() => Note, { nullable: true, cascade: ["insert"] })
    func: Note | null

    @ManyToOne(() => Link, (link) => link.Column, { nullable: true })
    metadata: Link | null

    @OneToMany(() => Link, (link) => link.metadata)
    Column: Link[]

    @ManyToMany(() => Note, (note) => note.Mapped)
    @JoinTable()
    registry: Note[]

    @OneToOne(() => Folder, { nullable: true })
    @JoinColumn()
    Mapped: Folder | null

    @ManyToOne(() => Folder, { nullable: true })
    Link: Folder | null

    @ManyToOne(() => Note, { nullable: true })
    Note: Note | null
}
