import { Column, Entity, JoinColumn, OneToOne, PrimaryGeneratedColumn } from "typeorm"
import { Member } from "./Member"

// the owning side of a one-to-one whose inverse (Member.badge) has no cascade
@Entity()
export class Badge {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 40 })
    code: string

    @OneToOne(() => Member, (member) => member.badge, { nullable: true })
    @JoinColumn()
    member: Member | null
}
