import { ChildEntity, Column, Entity, PrimaryGeneratedColumn, TableInheritance, UpdateDateColumn } from "typeorm"

/** Not an entity: its columns go to the tables of the entities that extend it. */
export abstract class Stamped {
    @UpdateDateColumn({ type: "timestamptz" })
    touchedAt: Date
}

/** Single-table inheritance with a numeric discriminator; the root extends a plain class. */
@Entity()
@TableInheritance({ column: { type: "int", name: "kind" } })
export class Shape extends Stamped {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "varchar", length: 40 })
    label: string
}

@ChildEntity(1)
export class Circle extends Shape {
    @Column({ type: "double precision", nullable: true })
    radius: number | null
}

@ChildEntity(2)
export class Square extends Shape {
    @Column({ type: "double precision", nullable: true })
    side: number | null
}
