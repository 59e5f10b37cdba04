import { Column, Entity, PrimaryGeneratedColumn } from "typeorm"

// uuid primary key; linked to projects without any cascade
@Entity()
export class Label {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 40, unique: true })
    caption: string
}
