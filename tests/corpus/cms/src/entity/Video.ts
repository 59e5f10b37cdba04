import { ChildEntity, Column } from "typeorm"
import { Content } from "./Content"

@ChildEntity("video")
export class Video extends Content {
    @Column({ type: "varchar", length: 500 })
    streamUrl: string

    @Column({ type: "int" })
    durationSeconds: number

    @Column({ type: "boolean", default: false })
    hasCaptions: boolean
}
