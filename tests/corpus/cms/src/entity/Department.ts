import {
    Column,
    Entity,
    PrimaryGeneratedColumn,
    Tree,
    TreeChildren,
    TreeParent,
} from "typeorm"

/** Editorial org chart stored as a nested set ("nsleft" / "nsright" columns). */
@Entity()
@Tree("nested-set")
export class Department {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 120 })
    name: string

    @Column({ type: "varchar", length: 255, nullable: true })
    managerEmail: string | null

    @TreeParent()
    parent: Department | null

    @TreeChildren()
    children: Department[]
}
