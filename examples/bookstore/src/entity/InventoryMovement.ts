import { Column, Entity, Index, ManyToOne, PrimaryGeneratedColumn } from "typeorm"
import { Book } from "./Book"
import { MovementReason } from "./MovementReason"
import { Order } from "./Order"

/** Append-only stock ledger: current stock of a book = sum(quantityDelta). */
@Entity()
@Index(["book", "occurredAt"])
export class InventoryMovement {
    // bigint GENERATED ALWAYS AS IDENTITY; bigint values are strings in JS
    @PrimaryGeneratedColumn("identity", { type: "bigint", generatedIdentity: "ALWAYS" })
    id: string

    @ManyToOne(() => Book, { nullable: false, onDelete: "CASCADE" })
    book: Book

    // positive = stock in, negative = stock out
    @Column({ type: "int" })
    quantityDelta: number

    @Column({ type: "enum", enum: MovementReason })
    reason: MovementReason

    // set for sales and returns
    @ManyToOne(() => Order, { nullable: true, onDelete: "SET NULL" })
    order: Order | null

    @Column({ type: "varchar", length: 255, nullable: true })
    note: string | null

    @Column({ type: "timestamptz", default: () => "now()" })
    occurredAt: Date
}
