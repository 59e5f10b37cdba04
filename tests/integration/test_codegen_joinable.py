"""Relations TypeORM accepts but SQLAlchemy cannot join, built by real TypeORM: the
generated models still configure (those relations read-only or left out, each with a
finding printed by ``generate`` and a comment in the model), and their create_all gives
TypeORM's schema."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import configure_mappers
from typer.testing import CliRunner

from ormshift.cli.main import app
from ormshift.codegen import render_package
from ormshift.codegen.check import check_configures
from ormshift.dsn import sqlalchemy_url
from ormshift.errors import CodegenError
from ormshift.extract import extract_project, sync_project
from ormshift.schema import diff_databases

from ..conftest import DatabaseFactory
from ..golden.support import generated, imported

pytestmark = pytest.mark.node

IMPORTS = (
    "import { Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, OneToMany, OneToOne, "
    'PrimaryColumn, PrimaryGeneratedColumn } from "typeorm"\n'
)

ENTITIES = {
    "Post": """
import { Remark } from "./Remark"
import { Label } from "./Label"
@Entity()
export class Post {
    @PrimaryGeneratedColumn() id: number
    @OneToMany(() => Remark, (r) => r.post) remarks: Remark[]
    @ManyToMany(() => Label) @JoinTable({ name: "post_label" }) labels: Label[]
}
""",
    "Article": """
import { Remark } from "./Remark"
import { Cover } from "./Cover"
@Entity()
export class Article {
    @PrimaryGeneratedColumn() id: number
    // the inverse names a relation of another entity (Remark.post targets Post)
    @OneToMany(() => Remark, (r) => r.post) remarks: Remark[]
    // a stale inverse property: Remark has no oldArticle
    @OneToMany(() => Remark, (r: any) => r.oldArticle) oldRemarks: Remark[]
    // a one-to-one with a join column on neither side
    @OneToOne(() => Cover, (c) => c.article) cover: Cover
}
""",
    "Cover": """
import { Article } from "./Article"
@Entity()
export class Cover {
    @PrimaryGeneratedColumn() id: number
    @OneToOne(() => Article, (a) => a.cover) article: Article
}
""",
    "Remark": """
import { Post } from "./Post"
import { Article } from "./Article"
@Entity()
export class Remark {
    @PrimaryGeneratedColumn() id: number
    @ManyToOne(() => Post, (p) => p.remarks) post: Post
    @ManyToOne(() => Article) article: Article
}
""",
    "Label": """
@Entity()
export class Label {
    @PrimaryGeneratedColumn() id: number
}
""",
    "PostLabel": """
// the junction table of Post.labels, also mapped as an entity, with relations of its own
// over the junction's columns (Medusa's discount_condition_customer_group)
import { Post } from "./Post"
import { Label } from "./Label"
@Entity("post_label")
export class PostLabel {
    @PrimaryColumn() postId: number
    @PrimaryColumn() labelId: number
    @ManyToOne(() => Post) @JoinColumn({ name: "postId" }) post: Post
    @ManyToOne(() => Label) @JoinColumn({ name: "labelId" }) label: Label
}
""",
}

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2021", "module": "commonjs", "strict": True,
        "strictPropertyInitialization": False, "experimentalDecorators": True,
        "emitDecoratorMetadata": True, "skipLibCheck": True, "rootDir": "src", "outDir": "dist",
    },
    "include": ["src/**/*.ts"],
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("oddrel")
    (root / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    (root / "src" / "entity").mkdir(parents=True)
    for name, body in ENTITIES.items():
        (root / "src" / "entity" / f"{name}.ts").write_text(IMPORTS + body)
    return root


def test_generate_says_what_is_read_only_or_left_out(project: Path, tmp_path: Path) -> None:
    manifest_path = tmp_path / "m.json"
    result = CliRunner().invoke(app, ["extract", str(project), "-o", str(manifest_path)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "models"
    result = CliRunner().invoke(app, ["generate", str(manifest_path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    expected = {
        "Article.remarks": "its inverse 'post' is no relation of Remark back to Article; "
        "read-only here",
        "Article.oldRemarks": "TypeORM finds no inverse relation for it; read-only here",
        "Article.cover": "a join column is on neither side",
        "Cover.article": "a join column is on neither side",
    }
    for where, what in expected.items():
        assert f"not carried over: {where}: {what}" in printed, printed
    # a junction table mapped as an entity too: written through the relation, as TypeORM does
    assert "Post.labels" not in printed, printed
    assert "configure_mappers() accepts them" in printed
    article = (out / "article.py").read_text()
    assert "# ormshift: a join column is on neither side" in article
    assert "# (cover is not mapped)" in article
    assert "cover: Mapped" not in article


def test_models_configure_and_match_typeorm(
    project: Path, make_db: DatabaseFactory, tmp_path: Path
) -> None:
    manifest = extract_project(project)
    typeorm_db, models_db = make_db("typeorm"), make_db("models")
    sync_project(project, typeorm_db)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            configure_mappers()
            article = inspect(pkg.Article).relationships
            assert article["remarks"].viewonly and article["old_remarks"].viewonly
            assert "cover" not in article
            labels = inspect(pkg.Post).relationships["labels"]
            assert not labels.viewonly
            assert labels.secondary is not None and labels.secondary.name == "post_label"
            assert not inspect(pkg.Post).relationships["remarks"].viewonly
            assert inspect(pkg.Post).relationships["remarks"].back_populates == "post"
            engine = create_engine(sqlalchemy_url(models_db))
            try:
                pkg.Base.metadata.create_all(engine)
            finally:
                engine.dispose()
    assert diff_databases(typeorm_db, models_db) == []


def test_models_that_do_not_configure_are_refused(tmp_path: Path) -> None:
    package = generated("blog")
    broken = package.files["post.py"].replace('back_populates="posts"', 'back_populates="nope"')
    assert broken != package.files["post.py"]
    files = {**package.files, "post.py": broken}
    with pytest.raises(CodegenError, match=r"do not configure .*nope.*ormshift bug"):
        check_configures(type(package)(files, package.findings))
    assert check_configures(package) == ()


def test_a_data_source_that_names_the_default_schema(project: Path, tmp_path: Path) -> None:
    """`schema: "public"` in the DataSource (as n8n's has) puts the default schema on every
    table; the read-only junction relation still finds its table."""
    named = tmp_path / "named"
    shutil.copytree(project, named, ignore=shutil.ignore_patterns("dist"))
    imports = "".join(f'import {{ {n} }} from "./entity/{n}"\n' for n in ENTITIES)
    entities = ", ".join(ENTITIES)
    (named / "src" / "data-source.ts").write_text(
        'import { DataSource } from "typeorm"\n' + imports + "export const AppDataSource = "
        f'new DataSource({{ type: "postgres", schema: "public", entities: [{entities}] }})\n'
    )
    manifest = extract_project(named)
    assert {t.schema for t in manifest.tables} == {"public"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with imported(render_package(manifest), tmp_path) as pkg:
            configure_mappers()
            labels = inspect(pkg.Post).relationships["labels"]
            assert not labels.viewonly
            assert labels.secondary is not None and labels.secondary.name == "post_label"
