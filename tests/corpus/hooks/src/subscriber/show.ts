// How the subscribers write a value into the log (the Python side writes it the same way).
export function show(value: unknown): string {
    if (value === undefined || value === null) return "-"
    if (value instanceof Date) return "date"
    if (typeof value === "object") return JSON.stringify(value)
    return String(value)
}
