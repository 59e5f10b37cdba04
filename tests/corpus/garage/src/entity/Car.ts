import { ChildEntity, Column } from "typeorm"
import { Vehicle } from "./Vehicle"

@ChildEntity("car")
export class Car extends Vehicle {
    @Column({ type: "int", nullable: true })
    seats: number | null

    @Column({ type: "boolean", nullable: true, default: false })
    convertible: boolean | null
}
