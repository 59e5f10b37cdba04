import { ChildEntity, Column } from "typeorm"
import { Cargo } from "./Cargo"
import { Vehicle } from "./Vehicle"

@ChildEntity("truck")
export class Truck extends Vehicle {
    @Column({ type: "int", nullable: true })
    payload: number | null

    @Column(() => Cargo)
    cargo: Cargo
}
