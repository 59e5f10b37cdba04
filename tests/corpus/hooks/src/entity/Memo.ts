import { Column, DeleteDateColumn, Entity, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Account } from "./Account"

// Taken out of a saved account's memos, a memo is soft-deleted (orphanedRowAction),
// with the soft-remove events of no entity that TypeORM broadcasts for it.
@Entity()
export class Memo {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 80 })
    text: string

    @DeleteDateColumn({ type: "timestamptz", nullable: true })
    deletedAt: Date | null

    @ManyToOne(() => Account, (account) => account.memos, {
        nullable: true,
        orphanedRowAction: "soft-delete",
    })
    account: Account | null
}
