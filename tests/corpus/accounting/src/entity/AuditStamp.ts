import { Column } from "typeorm"

/** Who did something, and when. Embedded; columns become <prefix>_user_name, <prefix>_at. */
export class AuditStamp {
    @Column({ type: "varchar", length: 100, nullable: true })
    userName: string | null

    @Column({ type: "timestamptz", nullable: true })
    at: Date | null
}
