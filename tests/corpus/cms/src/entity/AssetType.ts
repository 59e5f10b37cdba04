export enum AssetType {
    Image = "image",
    Document = "document",
}
