import { Column } from "typeorm"

/** Embeddable inside Contact: a second level of embedding (contactPlaceCity, ...). */
export class Place {
    @Column({ type: "varchar", length: 60, nullable: true })
    city: string | null

    @Column({ type: "varchar", length: 60, nullable: true })
    country: string | null
}
