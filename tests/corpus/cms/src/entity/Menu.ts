import {
    Column,
    Entity,
    ManyToOne,
    PrimaryGeneratedColumn,
    Tree,
    TreeChildren,
    TreeParent,
} from "typeorm"
import { Content } from "./Content"

/** Site navigation stored as a materialized path ("mpath" column). */
@Entity()
@Tree("materialized-path")
export class Menu {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 80 })
    label: string

    @Column({ type: "varchar", length: 500, nullable: true })
    externalUrl: string | null

    @Column({ type: "smallint", default: 0 })
    position: number

    @TreeParent()
    parent: Menu | null

    @TreeChildren()
    children: Menu[]

    // points at the STI root: may reference an Article or a Video
    @ManyToOne(() => Content, { nullable: true, onDelete: "SET NULL" })
    content: Content | null
}
