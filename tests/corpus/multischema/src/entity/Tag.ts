import { Column, Entity, Index, JoinTable, ManyToMany, ManyToOne, OneToMany, PrimaryGeneratedColumn } from "typeorm"

export enum TagColour {
    Red = "red",
    Blue = "blue",
}

@Entity({ schema: "audit", name: "tag" })
export class Tag {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ type: "enum", enum: TagColour, enumName: "colour" })
    colour: TagColour
}
