import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from "typeorm"

/** A month (or 13th adjustment period) of a fiscal year. */
@Entity()
@Unique(["fiscalYear", "periodNumber"])
// check expressions use the database (snake_case) column names
@Check('"end_date" > "start_date"')
@Check('"period_number" BETWEEN 1 AND 13')
export class FiscalPeriod {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "smallint" })
    fiscalYear: number

    @Column({ type: "smallint" })
    periodNumber: number

    @Column({ type: "date" })
    startDate: string

    @Column({ type: "date" })
    endDate: string

    @Column({ default: false })
    isClosed: boolean
}
