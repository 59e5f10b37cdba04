import { ValueTransformer } from "typeorm"

// Trims the text on its way to the database; reads it back as it is.
export class TrimTransformer implements ValueTransformer {
    to(value: string | null | undefined): string | null | undefined {
        return value === null || value === undefined ? value : value.trim()
    }
    from(value: string | null): string | null {
        return value
    }
}

// Any JSON value stored as text.
export class JsonTextTransformer implements ValueTransformer {
    to(value: unknown): string | null | undefined {
        return value === null || value === undefined ? (value as null | undefined) : JSON.stringify(value)
    }
    from(value: string | null): unknown {
        return value === null ? null : JSON.parse(value)
    }
}

// Appends "-a" on the way in, takes it off on the way out (marks anything else): the
// first of two, so that applying them in the wrong order shows.
export class SuffixTransformer implements ValueTransformer {
    to(value: string | null | undefined): string | null | undefined {
        return value === null || value === undefined ? value : value + "-a"
    }
    from(value: string | null): string | null {
        if (value === null) return value
        return value.endsWith("-a") ? value.slice(0, -2) : "BAD:" + value
    }
}

// Upper case in the database, lower case in the entity.
export class UpperTransformer implements ValueTransformer {
    to(value: string | null | undefined): string | null | undefined {
        return value === null || value === undefined ? value : value.toUpperCase()
    }
    from(value: string | null): string | null {
        return value === null ? value : value.toLowerCase()
    }
}
