import { Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"
import { Course } from "./Course"

/** @JoinTable on both sides of one many-to-many, with the same name and columns. */
@Entity()
export class Student {
    @PrimaryGeneratedColumn()
    id: number

    @ManyToMany(() => Course, (course) => course.students)
    @JoinTable({
        name: "enrollment",
        joinColumn: { name: "student_id" },
        inverseJoinColumn: { name: "course_id" },
    })
    courses: Course[]
}
