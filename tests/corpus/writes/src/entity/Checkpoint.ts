import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Project } from "./Project"

// taken out of project.checkpoints, a checkpoint is left as it is
@Entity()
export class Checkpoint {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    label: string

    @ManyToOne(() => Project, (project) => project.checkpoints, {
        nullable: true,
        orphanedRowAction: "disable",
    })
    project: Project | null
}
