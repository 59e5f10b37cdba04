export enum PostStatus {
    Draft = "draft",
    InReview = "in_review",
    Published = "published",
    Archived = "archived",
}
