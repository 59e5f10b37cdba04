import { Column, Entity, JoinTable, ManyToMany, PrimaryGeneratedColumn } from "typeorm"
import { Playlist } from "./Playlist"

@Entity()
export class Song {
    @PrimaryGeneratedColumn()
    id: number

    @Column()
    name: string

    @ManyToMany(() => Playlist)
    @JoinTable({
        name: "playlist_song",
        joinColumn: { name: "song_id", referencedColumnName: "id" },
        inverseJoinColumn: { name: "playlist_id", referencedColumnName: "id" },
    })
    playlists: Playlist[]
}
