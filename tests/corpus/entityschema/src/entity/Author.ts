import { Column, Entity, PrimaryGeneratedColumn } from "typeorm"

/** A decorated class next to the EntitySchema definitions (TypeORM builds the two
 * kinds apart, so they cannot refer to each other). */
@Entity()
export class Author {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 120 })
    name: string
}
