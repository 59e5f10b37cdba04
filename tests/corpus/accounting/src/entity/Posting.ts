import { Check, Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Account } from "./Account"
import { Currency } from "./Currency"
import { JournalEntry } from "./JournalEntry"

/** One debit (positive) or credit (negative) line of a journal entry. */
@Entity()
@Index(["account", "journalEntry"])
@Check('"amount" <> 0')
export class Posting {
    @PrimaryGeneratedColumn("increment", { type: "bigint" })
    id: string

    @ManyToOne(() => JournalEntry, (entry) => entry.postings, { nullable: false, onDelete: "CASCADE" })
    journalEntry: JournalEntry

    @ManyToOne(() => Account, { nullable: false, onDelete: "RESTRICT" })
    account: Account

    @Column({ type: "numeric", precision: 18, scale: 4 })
    amount: string

    @ManyToOne(() => Currency, { nullable: false, onDelete: "RESTRICT" })
    currency: Currency

    // amount converted to the ledger's base currency
    @Column({ type: "numeric", precision: 18, scale: 4 })
    baseAmount: string

    @Column({ type: "varchar", length: 200, nullable: true })
    memo: string | null
}
