import { Column } from "typeorm"
import { GeoPoint } from "./GeoPoint"

/**
 * Embeddable postal address. Used twice on Profile (prefixes "home" and "work").
 */
export class Address {
    @Column({ type: "varchar", length: 200, nullable: true })
    street: string | null

    @Column({ type: "varchar", length: 100, nullable: true })
    city: string | null

    @Column({ type: "varchar", length: 20, nullable: true })
    postalCode: string | null

    @Column({ type: "char", length: 2, nullable: true })
    countryCode: string | null

    @Column(() => GeoPoint)
    geo: GeoPoint
}
