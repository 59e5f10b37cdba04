import {
    Column,
    DeleteDateColumn,
    Entity,
    JoinTable,
    ManyToMany,
    ManyToOne,
    OneToMany,
    PrimaryGeneratedColumn,
} from "typeorm"
import { Checkpoint } from "./Checkpoint"
import { Label } from "./Label"
import { Member } from "./Member"
import { Milestone } from "./Milestone"
import { Note } from "./Note"
import { Reminder } from "./Reminder"
import { Step } from "./Step"
import { Task } from "./Task"

// one relation per cascade setting
@Entity()
export class Project {
    @PrimaryGeneratedColumn()
    id: number

    @Column({ length: 100 })
    name: string

    @DeleteDateColumn({ type: "timestamptz" })
    deletedAt: Date | null

    // no cascade: saving a project never writes its owner
    @ManyToOne(() => Member, { nullable: true })
    owner: Member | null

    // inserts a new lead, never updates an existing one
    @ManyToOne(() => Member, { nullable: true, cascade: ["insert"] })
    lead: Member | null

    // updates an existing reviewer, never inserts a new one
    @ManyToOne(() => Member, { nullable: true, cascade: ["update"] })
    reviewer: Member | null

    @OneToMany(() => Task, (task) => task.project)
    tasks: Task[]

    @OneToMany(() => Note, (note) => note.project, { cascade: ["insert"] })
    notes: Note[]

    // updates existing steps, never inserts new ones
    @OneToMany(() => Step, (step) => step.project, { cascade: ["update"] })
    steps: Step[]

    // every cascade, soft-remove and recover included
    @OneToMany(() => Milestone, (milestone) => milestone.project, { cascade: true })
    milestones: Milestone[]

    // orphanedRowAction "soft-delete" on the other side
    @OneToMany(() => Reminder, (reminder) => reminder.project, { cascade: true })
    reminders: Reminder[]

    // orphanedRowAction "disable" on the other side
    @OneToMany(() => Checkpoint, (checkpoint) => checkpoint.project, { cascade: true })
    checkpoints: Checkpoint[]

    @ManyToMany(() => Label)
    @JoinTable()
    labels: Label[]
}
