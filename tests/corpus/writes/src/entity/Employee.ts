import { ChildEntity, Column } from "typeorm"
import { Person } from "./Person"

// a middle class: finding employees finds teachers and accountants too
@ChildEntity("employee")
export class Employee extends Person {
    @Column({ type: "int", nullable: true })
    salary: number | null
}
