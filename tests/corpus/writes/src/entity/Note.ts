import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Project } from "./Project"

@Entity()
export class Note {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text" })
    text: string

    @ManyToOne(() => Project, (project) => project.notes, { nullable: true, onDelete: "CASCADE" })
    project: Project | null
}
