import { Column, DeleteDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn, VersionColumn } from "typeorm"
import { Project } from "./Project"

// taken out of project.reminders, a reminder is soft-deleted (its key is kept)
@Entity()
export class Reminder {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    text: string

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null

    @VersionColumn()
    revision: number

    @ManyToOne(() => Project, (project) => project.reminders, {
        nullable: true,
        orphanedRowAction: "soft-delete",
    })
    project: Project | null
}
