import { DefaultNamingStrategy, NamingStrategyInterface, Table, View } from "typeorm"

/** PostgreSQL truncates identifiers longer than 63 bytes. */
const MAX_IDENTIFIER_LENGTH = 63

/** "journalEntry" -> "journal_entry", "ISOCode" -> "iso_code", "approvedBy.user" -> "approved_by_user" */
export function toSnakeCase(value: string): string {
    return value
        .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
        .replace(/([a-z\d])([A-Z])/g, "$1_$2")
        .replace(/[\s.\-]+/g, "_")
        .toLowerCase()
}

/** Deterministic 32-bit FNV-1a hash, as 8 hex digits. */
function fnv1a(input: string): string {
    let hash = 0x811c9dc5
    for (let i = 0; i < input.length; i++) {
        hash ^= input.charCodeAt(i)
        hash = Math.imul(hash, 0x01000193) >>> 0
    }
    return hash.toString(16).padStart(8, "0")
}

/** Keeps a name within the identifier limit; over-long names get a hash suffix. */
function fit(name: string): string {
    if (name.length <= MAX_IDENTIFIER_LENGTH) return name
    return name.slice(0, MAX_IDENTIFIER_LENGTH - 9) + "_" + fnv1a(name)
}

/** Table name without schema ("ledger.posting" -> "posting"). */
function bareTableName(tableOrName: Table | View | string): string {
    const name = typeof tableOrName === "string" ? tableOrName : tableOrName.name
    return name.split(".").pop() as string
}

/**
 * snake_case tables, columns, join columns and join tables, and readable
 * constraint names: pk_<table>, fk_<table>_<cols>, idx_<table>_<cols>,
 * uq_<table>_<cols>, chk_<table>_<hash>.
 */
export class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
    tableName(targetName: string, userSpecifiedName: string | undefined): string {
        return userSpecifiedName ? userSpecifiedName : toSnakeCase(targetName)
    }

    columnName(propertyName: string, customName: string | undefined, embeddedPrefixes: string[]): string {
        const prefix = embeddedPrefixes.length ? toSnakeCase(embeddedPrefixes.join("_")) + "_" : ""
        return prefix + (customName ? customName : toSnakeCase(propertyName))
    }

    joinColumnName(relationName: string, referencedColumnName: string): string {
        return toSnakeCase(relationName + "_" + referencedColumnName)
    }

    joinTableName(
        firstTableName: string,
        _secondTableName: string,
        firstPropertyName: string,
        _secondPropertyName: string,
    ): string {
        return toSnakeCase(firstTableName + "_" + firstPropertyName)
    }

    joinTableColumnName(tableName: string, propertyName: string, columnName?: string): string {
        return toSnakeCase(tableName + "_" + (columnName ? columnName : propertyName))
    }

    joinTableInverseColumnName(tableName: string, propertyName: string, columnName?: string): string {
        return this.joinTableColumnName(tableName, propertyName, columnName)
    }

    primaryKeyName(tableOrName: Table | string, _columnNames: string[]): string {
        return fit(`pk_${bareTableName(tableOrName)}`)
    }

    foreignKeyName(
        tableOrName: Table | string,
        columnNames: string[],
        _referencedTablePath?: string,
        _referencedColumnNames?: string[],
    ): string {
        return fit(`fk_${bareTableName(tableOrName)}_${columnNames.join("_")}`)
    }

    indexName(tableOrName: Table | View | string, columnNames: string[], where?: string): string {
        const base = `idx_${bareTableName(tableOrName)}_${columnNames.join("_")}`
        // partial indexes on the same columns are told apart by their predicate
        return fit(where ? `${base}_${fnv1a(where)}` : base)
    }

    uniqueConstraintName(tableOrName: Table | string, columnNames: string[]): string {
        return fit(`uq_${bareTableName(tableOrName)}_${columnNames.join("_")}`)
    }

    relationConstraintName(tableOrName: Table | string, columnNames: string[], where?: string): string {
        const base = `uq_${bareTableName(tableOrName)}_${columnNames.join("_")}`
        return fit(where ? `${base}_${fnv1a(where)}` : base)
    }

    checkConstraintName(tableOrName: Table | string, expression: string, isEnum?: boolean): string {
        const name = `chk_${bareTableName(tableOrName)}_${fnv1a(expression)}`
        return fit(isEnum ? `${name}_enum` : name)
    }
}
