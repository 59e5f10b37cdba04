import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Project } from "./Project"

@Entity()
export class Step {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    label: string

    @ManyToOne(() => Project, (project) => project.steps, { nullable: true, onDelete: "SET NULL" })
    project: Project | null
}
