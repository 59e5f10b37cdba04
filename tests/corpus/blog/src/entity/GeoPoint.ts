import { Column } from "typeorm"

/**
 * Embedded inside Address (nested embedded): ends up as
 * e.g. "homeGeoLatitude" / "homeGeoLongitude" on the profile table.
 */
export class GeoPoint {
    @Column({ type: "double precision", nullable: true })
    latitude: number | null

    @Column({ type: "double precision", nullable: true })
    longitude: number | null
}
