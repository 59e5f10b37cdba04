import { Column, DeleteDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Project } from "./Project"

@Entity()
export class Milestone {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    title: string

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null

    @ManyToOne(() => Project, (project) => project.milestones, { nullable: true, onDelete: "CASCADE" })
    project: Project | null
}
