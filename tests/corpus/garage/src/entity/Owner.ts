import {
    Column,
    DeleteDateColumn,
    Entity,
    JoinColumn,
    OneToMany,
    OneToOne,
    PrimaryGeneratedColumn,
    UpdateDateColumn,
    VersionColumn,
} from "typeorm"
import { Licence } from "./Licence"
import { Vehicle } from "./Vehicle"

@Entity()
export class Owner {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 60 })
    name: string

    @Column({ type: "varchar", length: 120, nullable: true, unique: true })
    email: string | null

    // owning side, every cascade: saving an owner writes its licence
    @OneToOne(() => Licence, (licence) => licence.holder, { cascade: true, nullable: true })
    @JoinColumn()
    licence: Licence | null

    @OneToMany(() => Vehicle, (vehicle) => vehicle.owner, { cascade: true })
    vehicles: Vehicle[]

    @UpdateDateColumn({ type: "timestamptz" })
    updatedAt: Date

    @VersionColumn()
    version: number

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null
}
