export enum OrderStatus {
    Pending = "pending",
    Paid = "paid",
    Shipped = "shipped",
    Delivered = "delivered",
    Cancelled = "cancelled",
    Returned = "returned",
}
