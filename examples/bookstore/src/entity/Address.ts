import { Column } from "typeorm"

/** Postal address, embedded in Customer (billing / shipping) and Order (ship-to snapshot). */
export class Address {
    @Column({ type: "varchar", length: 200, nullable: true })
    line1: string | null

    @Column({ type: "varchar", length: 200, nullable: true })
    line2: string | null

    @Column({ type: "varchar", length: 100, nullable: true })
    city: string | null

    @Column({ type: "varchar", length: 20, nullable: true })
    postalCode: string | null

    @Column({ type: "char", length: 2, nullable: true })
    country: string | null
}
