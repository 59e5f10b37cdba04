export enum BookFormat {
    Hardcover = "hardcover",
    Paperback = "paperback",
    Ebook = "ebook",
    Audiobook = "audiobook",
}
