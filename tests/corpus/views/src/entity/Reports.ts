import { DataSource, ViewColumn, ViewEntity } from "typeorm"
import { Invoice } from "./Invoice"

/** A view over a view: created after `client_total` (dependsOn). */
@ViewEntity({
    name: "big_client",
    dependsOn: ["ClientTotal"],
    expression: `
        SELECT "clientId", "total" FROM "client_total" WHERE "total" > 1000
    `,
})
export class BigClient {
    @ViewColumn()
    clientId: number

    @ViewColumn()
    total: string
}

@ViewEntity({
    name: "client_total",
    expression: `
        SELECT c."id" AS "clientId", c."name" AS "name", COALESCE(SUM(i."amount"), 0) AS "total"
        FROM "client" c LEFT JOIN "invoice" i ON i."clientId" = c."id"
        WHERE c."name" NOT LIKE '%test%'
        GROUP BY c."id", c."name"
    `,
})
export class ClientTotal {
    @ViewColumn()
    clientId: number

    @ViewColumn()
    name: string

    @ViewColumn()
    total: string
}

/** A view defined by a query builder. */
@ViewEntity({
    expression: (dataSource: DataSource) =>
        dataSource
            .createQueryBuilder()
            .select("invoice.id", "id")
            .addSelect("invoice.amount", "amount")
            .from(Invoice, "invoice")
            .where("invoice.paid = false"),
})
export class OpenInvoice {
    @ViewColumn()
    id: number

    @ViewColumn()
    amount: string
}
