export enum MovementReason {
    Purchase = "purchase", // stock received from the publisher
    Sale = "sale",
    Return = "return",
    Adjustment = "adjustment", // stock-take corrections, damage, ...
}
