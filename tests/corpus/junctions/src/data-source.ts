import "reflect-metadata"
import { DataSource } from "typeorm"
import { Course } from "./entity/Course"
import { Label } from "./entity/Label"
import { Photo } from "./entity/Photo"
import { PhotoLabel } from "./entity/PhotoLabel"
import { Playlist } from "./entity/Playlist"
import { Song } from "./entity/Song"
import { Student } from "./entity/Student"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Student, Course, Photo, Label, PhotoLabel, Playlist, Song],
})

export default AppDataSource
