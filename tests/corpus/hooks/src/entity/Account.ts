import {
    AfterInsert,
    AfterLoad,
    AfterRecover,
    AfterRemove,
    AfterSoftRemove,
    AfterUpdate,
    BeforeInsert,
    BeforeRecover,
    BeforeRemove,
    BeforeSoftRemove,
    BeforeUpdate,
    Column,
    DeleteDateColumn,
    Entity,
    OneToMany,
    PrimaryColumn,
} from "typeorm"
import { JsonTextTransformer, SuffixTransformer, TrimTransformer, UpperTransformer } from "../transformer/transformers"
import { Entry } from "./Entry"
import { Memo } from "./Memo"

// Every listener; the key is made by a listener, three columns have transformers.
@Entity()
export class Account {
    @PrimaryColumn({ type: "varchar", length: 40 })
    id: string

    @Column({ type: "varchar", length: 40 })
    handle: string

    @Column({ type: "varchar", length: 120 })
    email: string

    @Column({ type: "varchar", length: 80, nullable: true, transformer: new TrimTransformer() })
    nickname: string | null

    @Column({ type: "text", nullable: true, transformer: new JsonTextTransformer() })
    settings: unknown

    @Column({ type: "varchar", length: 40, nullable: true, transformer: [new SuffixTransformer(), new UpperTransformer()] })
    code: string | null

    @Column({ type: "varchar", length: 80, nullable: true })
    displayName: string | null

    @Column({ type: "int", default: 0 })
    revision: number

    // set by the after-listeners: in the entity only, never written by them
    @Column({ type: "varchar", length: 40, nullable: true })
    note: string | null

    @DeleteDateColumn({ type: "timestamptz", nullable: true })
    deletedAt: Date | null

    // cascades: a saved account's new and changed entries are saved with it
    @OneToMany(() => Entry, (entry) => entry.account, { cascade: ["insert", "update"] })
    entries: Entry[]

    // taken out of a saved account, a memo is soft-deleted
    @OneToMany(() => Memo, (memo) => memo.account, { cascade: ["insert", "update"] })
    memos: Memo[]

    // not a column: what the after-load listener computes
    initials: string

    @BeforeInsert()
    makeKey() {
        if (!this.id) this.id = "acc_" + this.handle
        this.email = this.email.toLowerCase()
    }

    @BeforeUpdate()
    bumpRevision() {
        this.revision = (this.revision ?? 0) + 1
    }

    @AfterInsert()
    afterInsert() {
        this.note = "inserted"
    }

    @AfterUpdate()
    afterUpdate() {
        this.note = "updated"
    }

    @BeforeRemove()
    beforeRemove() {
        this.note = "removing " + this.id
    }

    @AfterRemove()
    afterRemove() {
        this.note = this.note + " removed " + String(this.id)
    }

    @BeforeSoftRemove()
    beforeSoftRemove() {
        this.note = "soft-removing"
    }

    @AfterSoftRemove()
    afterSoftRemove() {
        this.note = this.note + " soft-removed"
    }

    @BeforeRecover()
    beforeRecover() {
        this.note = "recovering"
    }

    @AfterRecover()
    afterRecover() {
        this.note = this.note + " recovered"
    }

    @AfterLoad()
    computeInitials() {
        this.initials = this.handle.slice(0, 2).toUpperCase()
    }
}
