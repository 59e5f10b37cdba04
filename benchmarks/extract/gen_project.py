"""Writes a TypeORM project of N entities (a wide e-commerce/ERP-like schema).

Each entity has a primary key of a rotating kind, 8-12 columns of assorted types, an
enum, a unique index, a many-to-one to an earlier entity and, every fifth entity, a
many-to-many, so that the metadata builder does realistic work.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2021",
        "module": "commonjs",
        "experimentalDecorators": True,
        "emitDecoratorMetadata": True,
        "strict": True,
        "strictPropertyInitialization": False,
        "skipLibCheck": True,
        "rootDir": "src",
        "outDir": "dist",
    },
    "include": ["src/**/*.ts"],
}

DOMAINS = ["Invoice", "Shipment", "Supplier", "Ledger", "Voucher", "Parcel", "Quote", "Refund"]


def entity_source(i: int) -> str:
    name = f"{DOMAINS[i % len(DOMAINS)]}{i:03d}"
    pk = [
        "@PrimaryGeneratedColumn() id: number;",
        '@PrimaryGeneratedColumn("uuid") id: string;',
        '@PrimaryGeneratedColumn("identity", { generatedIdentity: "ALWAYS" }) id: number;',
    ][i % 3]
    lines = [
        "import { Entity, PrimaryGeneratedColumn, Column, Index, ManyToOne, ManyToMany, "
        'JoinTable, CreateDateColumn, UpdateDateColumn } from "typeorm";',
    ]
    if i > 0:
        prev = f"{DOMAINS[(i - 1) % len(DOMAINS)]}{i - 1:03d}"
        lines.append(f'import {{ {prev} }} from "./{prev}";')
    lines += [
        f'export enum {name}State {{ Open = "open", Held = "held", Closed = "closed" }}',
        "",
        "@Entity()",
        '@Index(["code", "region"], { unique: true })',
        f"export class {name} {{",
        f"  {pk}",
        '  @Column({ type: "varchar", length: 40 }) code: string;',
        '  @Column({ type: "varchar", length: 8, default: "eu" }) region: string;',
        "  @Column() title: string;",
        '  @Column({ type: "text", nullable: true }) notes: string | null;',
        '  @Column({ type: "numeric", precision: 14, scale: 2, default: 0 }) amount: string;',
        '  @Column({ type: "int", nullable: true }) quantity: number | null;',
        '  @Column({ type: "jsonb", default: () => "\'{}\'" }) attributes: object;',
        '  @Column({ type: "text", array: true, default: () => "\'{}\'" }) labels: string[];',
        f'  @Column({{ type: "enum", enum: {name}State, default: {name}State.Open }})'
        f" state: {name}State;",
        '  @Column({ type: "timestamptz", nullable: true }) dueAt: Date | null;',
        "  @CreateDateColumn() createdAt: Date;",
        "  @UpdateDateColumn() updatedAt: Date;",
    ]
    if i > 0:
        prev = f"{DOMAINS[(i - 1) % len(DOMAINS)]}{i - 1:03d}"
        lines.append(f'  @ManyToOne(() => {prev}, {{ onDelete: "CASCADE" }}) parent: {prev};')
        if i % 5 == 0:
            lines.append(f"  @ManyToMany(() => {prev}) @JoinTable() related: {prev}[];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_project(root: Path, count: int) -> Path:
    (root / "src" / "entity").mkdir(parents=True, exist_ok=True)
    (root / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    for i in range(count):
        name = f"{DOMAINS[i % len(DOMAINS)]}{i:03d}"
        (root / "src" / "entity" / f"{name}.ts").write_text(entity_source(i))
    return root


if __name__ == "__main__":
    target = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    write_project(target, n)
    print(f"wrote {n} entities under {target}")
