import { Column, Entity, OneToOne, PrimaryGeneratedColumn } from "typeorm"
import { Badge } from "./Badge"

// the target of Project's to-one relations, each with a different cascade
@Entity()
export class Member {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 80 })
    handle: string

    @OneToOne(() => Badge, (badge) => badge.member)
    badge: Badge | null
}
