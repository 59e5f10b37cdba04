import { Column, CreateDateColumn, Entity, ManyToMany, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Folder } from "./Folder"
import { Link } from "./Link"

export class Stamp {
    @Column({ type: "varchar", nullable: true })
    by: string | null

    @Column({ type: "timestamptz", default: () => "now()" })
    at: Date

    // not columns: a plain property and a method
    note = "not a column"

    describe(): string {
        return `${this.by} at ${this.at}`
    }
}

@Entity()
export class Note {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text", comment: "it's \"quoted\", back\\slash; -- not SQL */ /* and a\nnew line" })
    text: string

    @Column({ type: "varchar", length: 20, default: "now" })
    func: string

    @Column({ type: "int", default: 0 })
    Column: number

    @Column({ type: "jsonb", default: () => "'{}'" })
    metadata: object

    @Column({ type: "varchar", nullable: true })
    registry: string | null

    @Column({ type: "boolean", default: true })
    mapped_column: boolean

    @Column(() => Stamp)
    stamp: Stamp

    @CreateDateColumn()
    createdAt: Date

    @ManyToOne(() => Folder, (folder) => folder.notes, { lazy: true, onDelete: "CASCADE" })
    relationship: Promise<Folder>

    @ManyToOne(() => Folder, (folder) => folder.text_, { nullable: true })
    folder_: Folder | null

    @ManyToMany(() => Link, (link) => link.registry)
    Mapped: Link[]
}
