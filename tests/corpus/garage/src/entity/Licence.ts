import { Column, Entity, OneToOne, PrimaryGeneratedColumn } from "typeorm"
import { Owner } from "./Owner"

@Entity()
export class Licence {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 20, unique: true })
    number: string

    @Column({ type: "varchar", length: 10, default: "B" })
    category: string

    @OneToOne(() => Owner, (owner) => owner.licence)
    holder: Owner | null
}
