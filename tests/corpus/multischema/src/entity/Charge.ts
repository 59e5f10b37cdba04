import { Column, Entity, Index, JoinTable, ManyToMany, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Account } from "./Account"
import { Tag } from "./Tag"

export enum ChargeState {
    Pending = "pending",
    Settled = "settled",
}

@Entity({ schema: "billing" })
@Index(["account", "state"])
export class Charge {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ type: "enum", enum: ChargeState, default: ChargeState.Pending })
    state: ChargeState

    @Column({ type: "numeric", precision: 10, scale: 2 })
    amount: string

    @ManyToOne(() => Account, (account) => account.charges, { onDelete: "CASCADE" })
    account: Account

    @ManyToMany(() => Tag)
    @JoinTable()
    tags: Tag[]
}
