import { ChildEntity, Column } from "typeorm"
import { Vehicle } from "./Vehicle"

@ChildEntity("motorbike")
export class Motorbike extends Vehicle {
    @Column({ type: "boolean", nullable: true })
    sidecar: boolean | null
}
