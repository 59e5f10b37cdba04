import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, TableInheritance } from "typeorm"
import { AssetType } from "./AssetType"

/** Second STI hierarchy, with a PostgreSQL enum as discriminator column. */
@Entity()
@TableInheritance({ column: { type: "enum", name: "assetType", enum: AssetType } })
export class Asset {
    @PrimaryGeneratedColumn("uuid")
    id: string

    @Column({ length: 255 })
    fileName: string

    @Column({ length: 100 })
    mimeType: string

    @Column({ type: "bigint" })
    sizeBytes: string

    @Column({ length: 500 })
    storageKey: string

    @CreateDateColumn({ type: "timestamptz" })
    uploadedAt: Date
}
