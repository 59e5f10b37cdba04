import { Column, Entity, Index, JoinTable, ManyToMany, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"
import { Charge } from "./Charge"

/** In the default schema; charged from the "billing" schema. */
@Entity()
export class Account {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 60 })
    name: string

    @OneToMany(() => Charge, (charge) => charge.account)
    charges: Charge[]
}
