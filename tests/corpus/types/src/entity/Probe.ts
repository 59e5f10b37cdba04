import { Column, Entity, PrimaryGeneratedColumn } from "typeorm"

/** A numeric TypeScript enum: PostgreSQL's labels are "1", "2"; TypeORM reads numbers. */
export enum ProbeKind {
    Ping = 1,
    Http = 2,
}

/**
 * A synthetic check of a host. Column types TypeORM reads as something other than
 * text or a number: a numeric enum, point and circle objects, a range as text.
 */
@Entity()
export class Probe {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "enum", enum: ProbeKind, default: ProbeKind.Ping })
    kind: ProbeKind

    @Column({ type: "point", nullable: true })
    location: { x: number; y: number } | null

    @Column({ type: "circle", nullable: true })
    coverage: { x: number; y: number; radius: number } | null

    @Column({ type: "int4range", nullable: true })
    ports: string | null
}
