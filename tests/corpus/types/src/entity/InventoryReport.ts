import { Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Host } from "./Host"

/**
 * What an inventory agent reported about a host at some point in time.
 * Agents report whatever they can, so every measurement column is NULLable.
 */
@Entity()
@Index(["host", "reportedAt"])
export class InventoryReport {
    // bigserial
    @PrimaryGeneratedColumn("increment", { type: "bigint" })
    id: string

    @ManyToOne(() => Host, (host) => host.reports, { nullable: false, onDelete: "CASCADE" })
    host: Host

    @Column({ type: "timestamptz" })
    reportedAt: Date

    @Column({ type: "varchar", length: 255, nullable: true })
    reportedHostname: string | null

    @Column({ type: "varchar", nullable: true })
    agentVersion: string | null

    @Column({ type: "text", nullable: true })
    rawOutput: string | null

    @Column({ type: "char", length: 2, nullable: true })
    countryCode: string | null

    @Column({ type: "smallint", nullable: true })
    rackUnit: number | null

    @Column({ type: "int", nullable: true })
    cpuCores: number | null

    @Column({ type: "bigint", nullable: true })
    bytesSent: string | null

    @Column({ type: "numeric", precision: 14, scale: 2, nullable: true })
    monthlyCost: string | null

    @Column({ type: "decimal", precision: 5, scale: 3, nullable: true })
    loadFactor: string | null

    @Column({ type: "real", nullable: true })
    cpuTemperature: number | null

    @Column({ type: "double precision", nullable: true })
    latencyMs: number | null

    @Column({ type: "boolean", nullable: true })
    isVirtual: boolean | null

    @Column({ type: "date", nullable: true })
    commissionedOn: string | null

    @Column({ type: "time", nullable: true })
    backupWindowStart: string | null

    @Column({ type: "timetz", nullable: true })
    backupWindowStartTz: string | null

    @Column({ type: "timestamp", nullable: true })
    lastBootAt: Date | null

    @Column({ type: "timestamp", precision: 3, nullable: true })
    lastSeenAt: Date | null

    @Column({ type: "timestamptz", nullable: true })
    clockSyncedAt: Date | null

    @Column({ type: "interval", nullable: true })
    uptime: string | null

    @Column({ type: "uuid", nullable: true })
    hardwareId: string | null

    @Column({ type: "bytea", nullable: true })
    sshHostKey: Uint8Array | null

    @Column({ type: "inet", nullable: true })
    ipAddress: string | null

    @Column({ type: "cidr", nullable: true })
    managementSubnet: string | null

    @Column({ type: "json", nullable: true })
    hardwareInfo: object | null

    @Column({ type: "jsonb", nullable: true })
    facts: Record<string, unknown> | null

    @Column({ type: "text", array: true, nullable: true })
    installedPackages: string[] | null

    @Column({ type: "int", array: true, nullable: true })
    openPorts: number[] | null
}
