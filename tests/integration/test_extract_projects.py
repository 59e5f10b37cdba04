"""Projects extracted as they are: their own tsconfig resolution (``types``, ``paths``,
plain JavaScript beside the sources), their own TypeORM found the way Node finds it
(hoisted, pnpm-style symlinks, forks under another name), build output left alone, and
type errors outside the entities tolerated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ormshift.errors import ExtractError
from ormshift.extract import extract_project

from ..conftest import ROOT
from .test_extract_cli import TSCONFIG

pytestmark = pytest.mark.node

BRIDGE_MODULES = ROOT / "bridge" / "node_modules"

#: the compiler options the extract CLI tests use (one copy of them)
OPTIONS: dict[str, object] = dict(TSCONFIG["compilerOptions"])

#: a stand-in for @types/node, enough for `"types": ["node"]` to need and find it
NODE_TYPES = {
    "package.json": json.dumps({"name": "@types/node", "version": "20.0.0", "types": "index.d.ts"}),
    "index.d.ts": "declare var process: { env: Record<string, string | undefined> };\n"
    "declare function require(id: string): any;\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def tsconfig(**options: object) -> str:
    return json.dumps({"compilerOptions": {**OPTIONS, **options}, "include": ["src/**/*.ts"]})


def link_typeorm(modules: Path, name: str = "typeorm") -> None:
    """``modules/<name>`` and reflect-metadata as symlinks to the bridge's (pnpm-style)."""
    (modules / name).parent.mkdir(parents=True, exist_ok=True)
    (modules / name).symlink_to(BRIDGE_MODULES / "typeorm", target_is_directory=True)
    if not (modules / "reflect-metadata").exists():
        (modules / "reflect-metadata").symlink_to(BRIDGE_MODULES / "reflect-metadata")


ALIASED_ENTITY = """
import { Entity, PrimaryGeneratedColumn, Column, ManyToOne } from "typeorm";
import { Account } from "@app/entities/Account";
const extra = require("../custom-fields.js");
const limits = require("../limits.json");

@Entity()
export class Invoice {
  @PrimaryGeneratedColumn() id: number;
  @Column({ length: limits.number }) number: string;
  @Column({ type: extra.amountType }) amount: string;
  @ManyToOne(() => Account) account: Account;
  env = process.env.NODE_ENV;
}
"""

ACCOUNT = """
import { Entity, PrimaryGeneratedColumn, Column } from "typeorm";

@Entity()
export class Account {
  @PrimaryGeneratedColumn() id: number;
  @Column() name: string;
}
"""


def test_monorepo_package_with_node_types_aliases_and_plain_js(tmp_path: Path) -> None:
    """A workspace package: typeorm hoisted to the repository root, `"types": ["node"]`,
    a `paths` alias used at run time, plain .js/.json required beside the sources."""
    repo = tmp_path / "repo"
    hoisted = repo / "node_modules" / "typeorm"
    shutil.copytree(BRIDGE_MODULES / "typeorm", hoisted, symlinks=True)
    package = json.loads((hoisted / "package.json").read_text())
    (hoisted / "package.json").write_text(json.dumps({**package, "version": "1.1.1-hoisted"}))
    (repo / "node_modules" / "reflect-metadata").symlink_to(BRIDGE_MODULES / "reflect-metadata")
    write(repo / "node_modules" / "@types" / "node", NODE_TYPES)
    write(repo, {"package.json": json.dumps({"private": True, "workspaces": ["packages/*"]})})
    project = write(
        repo / "packages" / "db",
        {
            "package.json": json.dumps({"name": "db"}),
            "tsconfig.json": tsconfig(types=["node"], baseUrl=".", paths={"@app/*": ["src/*"]}),
            "src/entities/Account.ts": ACCOUNT,
            "src/entities/Invoice.ts": ALIASED_ENTITY,
            "src/custom-fields.js": "module.exports = { amountType: 'numeric' };\n",
            "src/limits.json": json.dumps({"number": 24}),
        },
    )
    (project / "node_modules").mkdir()  # its own, empty: tsc must still find @types/node
    manifest = extract_project(project)
    assert manifest.source.typeorm_version == "1.1.1-hoisted"  # the repository's, not ours
    invoice = manifest.table("invoice")
    assert [c.name for c in invoice.columns] == ["id", "number", "amount", "accountId"]
    assert invoice.column("number").length == 24
    assert invoice.column("amount").type == "numeric"
    assert [fk.referenced_table for fk in invoice.foreign_keys] == ["account"]
    assert manifest.warnings == ()
    assert not (project / "dist").exists(), "the project must not be written to"


def test_paths_alias_without_base_url_in_an_extended_config(tmp_path: Path) -> None:
    """`paths` declared in a base config without baseUrl resolve against that config."""
    project = write(
        tmp_path / "p",
        {
            "config/tsconfig.base.json": json.dumps(
                {
                    "compilerOptions": {
                        **OPTIONS,
                        "rootDir": "../src",
                        "outDir": "../dist",
                        "paths": {"@model/*": ["../src/entities/*"]},
                    }
                }
            ),
            "tsconfig.json": json.dumps(
                {"extends": "./config/tsconfig.base.json", "include": ["src/**/*.ts"]}
            ),
            "src/entities/Account.ts": ACCOUNT,
            "src/entities/Ledger.ts": ACCOUNT.replace("Account", "Ledger").replace(
                'from "typeorm";',
                'from "typeorm";\nimport { Account } from "@model/Account";\n'
                "export const seen = Account.name;",
            ),
        },
    )
    manifest = extract_project(project)
    assert sorted(t.name for t in manifest.tables) == ["account", "ledger"]


def test_type_errors_outside_entities_are_a_warning(tmp_path: Path) -> None:
    project = write(
        tmp_path / "p",
        {
            "tsconfig.json": tsconfig(noEmitOnError=True),
            "src/entity/Account.ts": ACCOUNT,
            "src/util/format.ts": "export const n: number = 'not a number';\n",
        },
    )
    manifest = extract_project(project)
    assert [t.name for t in manifest.tables] == ["account"]
    [warning] = manifest.warnings
    assert warning.feature == "typescript"
    assert "format.ts" in warning.message and "TS2322" in warning.message
    # and from the cache, the same warning
    assert extract_project(project).warnings == manifest.warnings


def test_build_output_is_not_taken_for_entities(tmp_path: Path) -> None:
    stale = "exports.x = require('typeorm').Entity()(class Old {});\n"
    project = write(
        tmp_path / "p",
        {
            "tsconfig.json": tsconfig(outDir="lib"),
            "src/entity/Account.ts": ACCOUNT,
            "lib/entity/Old.js": stale,
            "dist/entity/Old.js": stale,
            "build/entity/Old.js": stale,
        },
    )
    assert [t.name for t in extract_project(project).tables] == ["account"]
    assert [t.name for t in extract_project(project, entities="**/entity/*").tables] == ["account"]


def test_a_fork_under_another_name(tmp_path: Path) -> None:
    project = write(
        tmp_path / "p",
        {
            "tsconfig.json": tsconfig(),
            "src/entity/Account.ts": ACCOUNT.replace('"typeorm"', '"@n8n/typeorm"'),
        },
    )
    fork = project / "node_modules" / "@n8n" / "typeorm"
    fork.parent.mkdir(parents=True)
    shutil.copytree(BRIDGE_MODULES / "typeorm", fork, symlinks=True)
    package = json.loads((fork / "package.json").read_text())
    (fork / "package.json").write_text(
        json.dumps({**package, "name": "@n8n/typeorm", "version": "0.3.20-n8n"})
    )
    manifest = extract_project(project, typeorm_package="@n8n/typeorm")
    assert [t.name for t in manifest.tables] == ["account"]
    assert manifest.source.typeorm_version == "0.3.20-n8n"
    with pytest.raises(ExtractError, match="--typeorm-package @acme/orm: no node_modules"):
        extract_project(project, typeorm_package="@acme/orm")


def test_typeorm_0_2_is_refused_in_one_line(tmp_path: Path) -> None:
    project = write(tmp_path / "p", {"tsconfig.json": tsconfig(), "src/entity/A.ts": ACCOUNT})
    old = project / "node_modules" / "typeorm"
    old.mkdir(parents=True)
    (old / "package.json").write_text(json.dumps({"name": "typeorm", "version": "0.2.45"}))
    with pytest.raises(ExtractError, match=r"TypeORM 0\.2\.45 .*needs TypeORM 0\.3 or newer") as e:
        extract_project(project)
    assert "\n" not in str(e.value)


WRITER_SCHEMA = """
import { EntitySchema } from "typeorm";

export const WriterSchema = new EntitySchema<{ id: number; penName: string }>({
  name: "Writer",
  columns: {
    id: { type: Number, primary: true, generated: "increment" },
    penName: { type: String, length: 120 },
  },
});
"""


def test_entity_schemas_found_by_an_entities_glob(tmp_path: Path) -> None:
    project = write(
        tmp_path / "p",
        {"tsconfig.json": tsconfig(), "src/entity/Account.ts": ACCOUNT,
         "src/entity/Writer.ts": WRITER_SCHEMA},
    )  # fmt: skip
    manifest = extract_project(project, entities="src/entity/*.ts")
    assert sorted(e.name for e in manifest.entities) == ["Account", "Writer"]
    assert [c.name for c in manifest.table("writer").columns] == ["id", "penName"]


def test_a_data_source_exported_as_a_promise(tmp_path: Path) -> None:
    data_source = """
import { DataSource } from "typeorm";
import { Account } from "./entity/Account";

async function build(): Promise<DataSource> {
  return new DataSource({ type: "postgres", entities: [Account] });
}

export const ready = build();
"""
    project = write(
        tmp_path / "p",
        {"tsconfig.json": tsconfig(), "src/db.ts": data_source, "src/entity/Account.ts": ACCOUNT},
    )
    manifest = extract_project(project, data_source=Path("src/db.ts"))
    assert [t.name for t in manifest.tables] == ["account"]


def test_a_framework_module_is_pointed_to_entities_globs(tmp_path: Path) -> None:
    module = """
export const DatabaseModule = {
  imports: [{ forRootAsync: { useFactory: async () => ({ type: "postgres" }) } }],
};
"""
    project = write(
        tmp_path / "p",
        {"tsconfig.json": tsconfig(), "src/data-source.ts": module,
         "src/entity/Account.ts": ACCOUNT},
    )  # fmt: skip
    with pytest.raises(ExtractError, match=r"exports no DataSource.*forRootAsync.*--entities GLOB"):
        extract_project(project)
    assert [t.name for t in extract_project(project, entities="src/entity/*.ts").tables] == [
        "account"
    ]


def test_a_tsconfig_without_include_like_nest_new_makes(tmp_path: Path) -> None:
    """`nest new` writes a tsconfig with no include: tsc takes every file below it (less
    node_modules and outDir), not the files below ormshift's scratch config."""
    options = {k: v for k, v in OPTIONS.items() if k != "rootDir"}
    project = write(
        tmp_path / "p",
        {
            "tsconfig.json": json.dumps({"compilerOptions": options}),
            "src/app/invoice.entity.ts": ACCOUNT.replace("Account", "Invoice"),
            "dist/app/old.entity.d.ts": "export declare class Old { id: number }\n",
        },
    )
    manifest = extract_project(project)
    assert [t.name for t in manifest.tables] == ["invoice"]
    assert manifest.warnings == ()


def test_a_pnpm_layout(tmp_path: Path) -> None:
    """pnpm links node_modules/typeorm to node_modules/.pnpm/typeorm@V/node_modules/typeorm;
    the project's copy (not the bridge's) is the one loaded."""
    project = write(tmp_path / "p", {"tsconfig.json": tsconfig(), "src/entity/A.ts": ACCOUNT})
    store = project / "node_modules" / ".pnpm" / "typeorm@1.1.1" / "node_modules"
    store.mkdir(parents=True)
    shutil.copytree(BRIDGE_MODULES / "typeorm", store / "typeorm", symlinks=True)
    package = json.loads((store / "typeorm" / "package.json").read_text())
    (store / "typeorm" / "package.json").write_text(
        json.dumps({**package, "version": "1.1.1-pnpm"})
    )
    (project / "node_modules" / "typeorm").symlink_to(store / "typeorm", target_is_directory=True)
    (project / "node_modules" / "reflect-metadata").symlink_to(BRIDGE_MODULES / "reflect-metadata")
    manifest = extract_project(project)
    assert manifest.source.typeorm_version == "1.1.1-pnpm"
    assert [t.name for t in manifest.tables] == ["account"]


def test_an_app_that_logs_while_it_loads(tmp_path: Path) -> None:
    """Compiled JavaScript as an npm package ships it (no tsconfig), whose modules log to
    stdout when loaded: the manifest still comes back."""
    project = write(
        tmp_path / "app",
        {
            "package.json": json.dumps({"name": "app", "private": True}),
            "models/thing.js": "const { Entity, PrimaryGeneratedColumn, Column } =\n"
            '  require("typeorm");\n'
            'console.log("loading the models");\n'
            'console.info({ config: "printed" });\n'
            "class Thing {}\n"
            'PrimaryGeneratedColumn()(Thing.prototype, "id");\n'
            'Column({ type: "varchar" })(Thing.prototype, "name");\n'
            "Entity()(Thing);\n"
            "module.exports = { Thing };\n",
        },
    )
    manifest = extract_project(project, entities="models/*.js")
    assert [t.name for t in manifest.tables] == ["thing"]
    assert [c.name for c in manifest.tables[0].columns] == ["id", "name"]


def test_entities_in_a_package_with_a_fork_beside_them(tmp_path: Path) -> None:
    """Compiled entities shipped in a package (as @n8n/db ships n8n's), their TypeORM fork
    installed beside them, not at the project's top, and a fork that makes its driver
    in ``initialize()`` (as @n8n/typeorm does), not in the DataSource's constructor."""
    models = tmp_path / "app" / "node_modules" / "@acme" / "models"
    write(
        tmp_path / "app",
        {
            "package.json": json.dumps({"name": "app", "private": True}),
            "node_modules/@acme/models/package.json": json.dumps({"name": "@acme/models"}),
            "node_modules/@acme/models/dist/entities/thing.js": "const { Entity, "
            'PrimaryGeneratedColumn, Column } = require("@acme/typeorm");\n'
            "class Thing {}\n"
            'PrimaryGeneratedColumn()(Thing.prototype, "id");\n'
            'Column({ type: "varchar" })(Thing.prototype, "name");\n'
            "Entity()(Thing);\n"
            "module.exports = { Thing };\n",
        },
    )
    fork = models / "node_modules" / "@acme" / "typeorm"
    fork.parent.mkdir(parents=True)
    shutil.copytree(BRIDGE_MODULES / "typeorm", fork, symlinks=True)
    package = json.loads((fork / "package.json").read_text())
    (fork / "package.json").write_text(json.dumps({**package, "name": "@acme/typeorm"}))
    source = fork / "data-source" / "DataSource.js"
    # the driver (and the entity manager, which needs it) left to initialize()
    made_driver = (
        "this.driver = new DriverFactory_1.DriverFactory().create(this);\n"
        "        this.manager = this.createEntityManager();"
    )
    assert made_driver in source.read_text()
    source.write_text(source.read_text().replace(made_driver, ""))

    manifest = extract_project(
        tmp_path / "app",
        entities="node_modules/@acme/models/dist/entities/*.js",
        typeorm_package="@acme/typeorm",
    )
    assert [t.name for t in manifest.tables] == ["thing"]
