import { Column, Entity, PrimaryGeneratedColumn } from "typeorm"

// What the subscribers saw, one row an event, in order (written with raw SQL).
@Entity()
export class EventLog {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 40 })
    event: string

    @Column({ type: "varchar", length: 40, nullable: true })
    entity: string | null

    @Column({ type: "text", nullable: true })
    detail: string | null
}
