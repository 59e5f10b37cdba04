import { Column } from "typeorm"
import { Place } from "./Place"

/** Embeddable with a nested embeddable, used once on Author (default prefix "contact"). */
export class Contact {
    @Column({ type: "varchar", length: 120, nullable: true })
    email: string | null

    @Column({ type: "varchar", length: 30, nullable: true })
    phone: string | null

    @Column(() => Place)
    place: Place
}
