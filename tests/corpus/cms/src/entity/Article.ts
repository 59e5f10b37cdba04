import { ChildEntity, Column, ManyToOne } from "typeorm"
import { Content } from "./Content"
import { ImageAsset } from "./ImageAsset"

@ChildEntity("article")
export class Article extends Content {
    @Column({ type: "text" })
    body: string

    @Column({ type: "int", default: 0 })
    wordCount: number

    // relation from one STI child to a child of another STI hierarchy
    @ManyToOne(() => ImageAsset, { nullable: true, onDelete: "SET NULL" })
    heroImage: ImageAsset | null
}
