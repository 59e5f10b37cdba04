import { Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { Song } from "./Song"

/** One junction table owned from both sides by relations that name no inverse (as Medusa's
 * Product.categories and ProductCategory.products): TypeORM merges it, each side writes it. */
@Entity()
export class Playlist {
    @PrimaryGeneratedColumn()
    id: number

    @Column()
    title: string

    @ManyToMany(() => Song)
    @JoinTable({
        name: "playlist_song",
        joinColumn: { name: "playlist_id", referencedColumnName: "id" },
        inverseJoinColumn: { name: "song_id", referencedColumnName: "id" },
    })
    songs: Song[]
}
