import { Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"

@Entity()
export class Label {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 40, unique: true })
    name: string
}
