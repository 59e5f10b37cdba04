import {
    Column,
    CreateDateColumn,
    Entity,
    Index,
    JoinColumn,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    OneToOne,
    PrimaryGeneratedColumn,
} from "typeorm"
import { AuditStamp } from "./AuditStamp"
import { CostCenter } from "./CostCenter"
import { FiscalPeriod } from "./FiscalPeriod"
import { Posting } from "./Posting"

@Entity()
export class JournalEntry {
    @PrimaryGeneratedColumn("increment", { type: "bigint" })
    id: string

    @Column({ length: 30, unique: true })
    entryNumber: string

    @Index()
    @Column({ type: "date" })
    entryDate: string

    @Column({ type: "text" })
    description: string

    @ManyToOne(() => FiscalPeriod, { nullable: false, onDelete: "RESTRICT" })
    fiscalPeriod: FiscalPeriod

    @OneToMany(() => Posting, (posting) => posting.journalEntry, { cascade: true })
    postings: Posting[]

    // a reversing entry cancels exactly one earlier entry: reversal_of_id,
    // unique constraint named by relationConstraintName()
    @OneToOne(() => JournalEntry, { nullable: true, onDelete: "RESTRICT" })
    @JoinColumn()
    reversalOf: JournalEntry | null

    // join table journal_entry_cost_centers (journal_entry_id, cost_center_id)
    @ManyToMany(() => CostCenter, (center) => center.journalEntries)
    @JoinTable()
    costCenters: CostCenter[]

    // approved_by_user_name, approved_by_at
    @Column(() => AuditStamp, { prefix: "approvedBy" })
    approval: AuditStamp

    @CreateDateColumn({ type: "timestamptz" })
    recordedAt: Date
}
