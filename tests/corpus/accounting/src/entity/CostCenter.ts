import { Column, Entity, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { JournalEntry } from "./JournalEntry"

@Entity()
export class CostCenter {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 12, unique: true })
    code: string

    @Column({ length: 100 })
    displayName: string

    @ManyToMany(() => JournalEntry, (entry) => entry.costCenters)
    journalEntries: JournalEntry[]
}
