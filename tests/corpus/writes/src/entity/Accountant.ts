import { ChildEntity, Column } from "typeorm"
import { Employee } from "./Employee"

@ChildEntity("accountant")
export class Accountant extends Employee {
    @Column({ type: "varchar", length: 60, nullable: true })
    ledger: string | null
}
