import { Column, Entity, PrimaryColumn } from "typeorm"

/** ISO 3166-1 alpha-2 country; natural primary key. */
@Entity()
export class Country {
    @PrimaryColumn({ type: "char", length: 2 })
    code: string

    @Column({ length: 100 })
    name: string

    @Column({ type: "char", length: 3 })
    currencyCode: string

    @Column({ type: "numeric", precision: 5, scale: 2, default: 0 })
    vatRate: string
}
