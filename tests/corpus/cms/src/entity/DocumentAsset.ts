import { ChildEntity, Column } from "typeorm"
import { Asset } from "./Asset"
import { AssetType } from "./AssetType"

@ChildEntity(AssetType.Document)
export class DocumentAsset extends Asset {
    @Column({ type: "int", nullable: true })
    pageCount: number | null

    @Column({ type: "char", length: 2, default: "en" })
    language: string
}
