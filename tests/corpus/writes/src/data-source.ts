import "reflect-metadata"
import { DataSource } from "typeorm"
import { Accountant } from "./entity/Accountant"
import { Badge } from "./entity/Badge"
import { Checkpoint } from "./entity/Checkpoint"
import { Employee } from "./entity/Employee"
import { Label } from "./entity/Label"
import { Member } from "./entity/Member"
import { Milestone } from "./entity/Milestone"
import { Note } from "./entity/Note"
import { Person } from "./entity/Person"
import { Project } from "./entity/Project"
import { Reminder } from "./entity/Reminder"
import { Step } from "./entity/Step"
import { Student } from "./entity/Student"
import { Task } from "./entity/Task"
import { Teacher } from "./entity/Teacher"

export const AppDataSource = new DataSource({
    type: "postgres",
    entities: [Person, Employee, Teacher, Accountant, Student, Member, Label, Project, Task, Note, Milestone, Step, Badge, Reminder, Checkpoint],
})

export default AppDataSource
