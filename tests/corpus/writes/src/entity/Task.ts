import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Project } from "./Project"

// Project.tasks has no cascade, and the foreign key has no ON DELETE action
@Entity()
export class Task {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    title: string

    // written on insert, never by an update
    @Column({ type: "varchar", length: 20, update: false, default: "new" })
    code: string

    // never written on insert (the database default applies)
    @Column({ type: "int", insert: false, default: 7 })
    points: number

    @ManyToOne(() => Project, (project) => project.tasks, { nullable: true })
    project: Project | null
}
