import { ChildEntity, Column } from "typeorm"
import { Asset } from "./Asset"
import { AssetType } from "./AssetType"

@ChildEntity(AssetType.Image)
export class ImageAsset extends Asset {
    @Column({ type: "int" })
    width: number

    @Column({ type: "int" })
    height: number

    @Column({ type: "varchar", length: 300, nullable: true })
    altText: string | null
}
