import { Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"
import { Label } from "./Label"

@Entity()
export class Photo {
    @PrimaryGeneratedColumn()
    id: number

    @ManyToMany(() => Label)
    @JoinTable({ name: "photo_label" })
    labels: Label[]
}
