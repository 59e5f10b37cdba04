import { AfterLoad, BeforeInsert, Column, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { UpperTransformer } from "../transformer/transformers"
import { Account } from "./Account"

// Loaded with its account: the account's after-load listener runs first.
@Entity()
export class Entry {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 80, transformer: new UpperTransformer() })
    label: string

    @Column({ type: "int", default: 0 })
    amount: number

    @Column({ type: "varchar", length: 80, nullable: true })
    summary: string | null

    @ManyToOne(() => Account, (account) => account.entries, { nullable: true, onDelete: "CASCADE" })
    account: Account | null

    // not a column
    loadedAs: string

    @BeforeInsert()
    summarize() {
        this.summary = this.label + ":" + String(this.amount ?? 0)
    }

    @AfterLoad()
    markLoaded() {
        this.loadedAs = "entry " + this.label
    }
}
