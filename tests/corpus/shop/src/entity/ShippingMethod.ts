export enum ShippingMethod {
    Standard = "standard",
    Express = "express",
    Overnight = "overnight",
    Pickup = "pickup",
}
