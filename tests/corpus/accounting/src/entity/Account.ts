import { Column, Entity, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { AccountType } from "./AccountType"
import { AuditStamp } from "./AuditStamp"
import { Currency } from "./Currency"

/** Chart-of-accounts entry. */
@Entity()
export class Account {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 20, unique: true })
    accountNumber: string

    @Column({ length: 150 })
    displayName: string

    @Column({ type: "enum", enum: AccountType })
    accountType: AccountType

    @Column({ default: true })
    isActive: boolean

    // explicit column name is kept as written
    @Column({ name: "ext_ref", type: "varchar", length: 40, nullable: true })
    externalReference: string | null

    @ManyToOne(() => Currency, { nullable: false, onDelete: "RESTRICT" })
    defaultCurrency: Currency

    @ManyToOne(() => Account, (account) => account.subAccounts, { nullable: true, onDelete: "RESTRICT" })
    parentAccount: Account | null

    @OneToMany(() => Account, (account) => account.parentAccount)
    subAccounts: Account[]

    // created_user_name, created_at
    @Column(() => AuditStamp)
    created: AuditStamp
}
