import { Column, Entity, PrimaryGeneratedColumn } from "typeorm"

// the target of Project's to-one relations, each with a different cascade
@Entity()
export class Member {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 80 })
    handle: string
}
