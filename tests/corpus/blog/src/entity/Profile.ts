import { Column, Entity, JoinColumn, OneToOne, PrimaryGeneratedColumn } from "typeorm"
import { Address } from "./Address"
import { User } from "./User"

@Entity()
export class Profile {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "text", nullable: true })
    bio: string | null

    @Column({ type: "varchar", length: 500, nullable: true })
    avatarUrl: string | null

    @Column({ type: "varchar", length: 200, nullable: true })
    website: string | null

    // owning side of the one-to-one: holds "userId"
    @OneToOne(() => User, (user) => user.profile, { onDelete: "CASCADE" })
    @JoinColumn()
    user: User

    // same embeddable twice, distinguished by prefix: homeStreet, workStreet, ...
    @Column(() => Address, { prefix: "home" })
    home: Address

    @Column(() => Address, { prefix: "work" })
    work: Address
}
