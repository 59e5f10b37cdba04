import { EntitySchema } from "typeorm"

export interface Writer {
    id: number
    penName: string
}

export const WriterSchema = new EntitySchema<Writer>({
    name: "Writer",
    columns: {
        id: { type: Number, primary: true, generated: "increment" },
        penName: { type: String, length: 120, unique: true },
    },
})
