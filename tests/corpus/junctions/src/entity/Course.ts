import { Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"
import { Student } from "./Student"

@Entity()
export class Course {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 80 })
    title: string

    @ManyToMany(() => Student, (student) => student.courses)
    @JoinTable({
        name: "enrollment",
        joinColumn: { name: "course_id" },
        inverseJoinColumn: { name: "student_id" },
    })
    students: Student[]
}
