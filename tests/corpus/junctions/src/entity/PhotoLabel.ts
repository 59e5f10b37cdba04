import { Column, CreateDateColumn, Entity, Index, JoinTable, ManyToMany, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"

/** The junction table of Photo.labels, also mapped as an entity, with more columns. */
@Entity("photo_label")
@Index("IDX_photo_label_added", ["addedAt"])
export class PhotoLabel {
    @PrimaryColumn({ type: "int" })
    photoId: number

    @PrimaryColumn({ type: "int" })
    labelId: number

    @CreateDateColumn({ type: "timestamptz" })
    addedAt: Date

    @Column({ type: "smallint", default: 0 })
    position: number
}
