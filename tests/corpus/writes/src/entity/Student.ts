import { ChildEntity, Column } from "typeorm"
import { Person } from "./Person"

@ChildEntity("student")
export class Student extends Person {
    @Column({ type: "int", nullable: true })
    grade: number | null
}
