import { Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Host } from "./Host"

/** Recurring maintenance slot; uuid PK generated with gen_random_uuid() (pgcrypto). */
@Entity()
export class MaintenanceWindow {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @ManyToOne(() => Host, (host) => host.maintenanceWindows, { nullable: false, onDelete: "CASCADE" })
    host: Host

    @Column({ type: "varchar", length: 120 })
    title: string

    @Column({ type: "date" })
    startsOn: string

    @Column({ type: "date", nullable: true })
    endsOn: string | null

    @Column({ type: "timetz" })
    startTime: string

    @Column({ type: "interval", default: () => "'02:00:00'" })
    duration: string

    // iCalendar RRULE, e.g. "FREQ=WEEKLY;BYDAY=SU"
    @Column({ type: "text", nullable: true })
    recurrenceRule: string | null
}
