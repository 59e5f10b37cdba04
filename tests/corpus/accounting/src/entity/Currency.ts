import { Column, Entity, PrimaryColumn } from "typeorm"

/** ISO 4217 currency, keyed by its alphabetic code. */
@Entity()
export class Currency {
    @PrimaryColumn({ type: "char", length: 3 })
    isoCode: string

    @Column({ length: 60 })
    displayName: string

    @Column({ type: "smallint", default: 2 })
    minorUnits: number

    @Column({ type: "varchar", length: 5, nullable: true })
    symbol: string | null
}
