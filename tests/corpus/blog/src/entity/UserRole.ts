export enum UserRole {
    Reader = "reader",
    Author = "author",
    Editor = "editor",
    Admin = "admin",
}
