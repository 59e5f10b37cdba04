import { ChildEntity, Column, Entity, PrimaryGeneratedColumn, TableInheritance } from "typeorm"

/** Single-table inheritance with a numeric discriminator. */
@Entity()
@TableInheritance({ column: { type: "int", name: "kind" } })
export class Shape {
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
