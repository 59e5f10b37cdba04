import { ChildEntity, Column } from "typeorm"
import { Employee } from "./Employee"

@ChildEntity("teacher")
export class Teacher extends Employee {
    @Column({ type: "varchar", length: 60, nullable: true })
    subject: string | null
}
