import { Column } from "typeorm"

/**
 * Search-engine metadata, embedded into Post with `prefix: false`,
 * so its columns are named exactly like the properties.
 */
export class SeoMeta {
    @Column({ type: "varchar", length: 70, nullable: true })
    metaTitle: string | null

    @Column({ type: "varchar", length: 160, nullable: true })
    metaDescription: string | null

    @Column({ default: false })
    noIndex: boolean
}
