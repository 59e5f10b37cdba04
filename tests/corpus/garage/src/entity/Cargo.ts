import { Column } from "typeorm"

/** Embeddable of Truck: a child entity's embedded columns (cargoLength, ...). */
export class Cargo {
    @Column({ type: "int", nullable: true })
    length: number | null

    @Column({ type: "int", nullable: true })
    width: number | null

    @Column({ type: "varchar", length: 30, nullable: true })
    kind: string | null
}
