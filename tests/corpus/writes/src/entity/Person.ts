import { Column, DeleteDateColumn, Entity, PrimaryGeneratedColumn, TableInheritance } from "typeorm"

/**
 * Root of a three-level single-table hierarchy: Person <- Employee <- Teacher / Accountant,
 * Person <- Student. Every row lives in "person", told apart by "type".
 */
@Entity()
@TableInheritance({ column: { type: "varchar", name: "type", length: 30 } })
export class Person {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    name: string

    // a conflict path for upserts across the hierarchy
    @Column({ type: "varchar", length: 100, nullable: true, unique: true })
    email: string | null

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null
}
