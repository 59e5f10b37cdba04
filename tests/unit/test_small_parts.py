"""Pure helpers: type parsing of format_type(), password redaction, tsconfig reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from ormshift.dsn import normalize_url, redact, sqlalchemy_url
from ormshift.extract.database import parse_type
from ormshift.extract.tsc import read_tsconfig


@pytest.mark.parametrize(
    ("fmt", "parsed"),
    [
        ("character varying(255)", ("character varying", 255, None, None)),
        ("character varying", ("character varying", None, None, None)),
        ("character(2)", ("character", 2, None, None)),
        ("numeric(14,2)", ("numeric", None, 14, 2)),
        ("numeric", ("numeric", None, None, None)),
        ("timestamp(3) with time zone", ("timestamp with time zone", None, 3, None)),
        ("time without time zone", ("time without time zone", None, None, None)),
        ("integer[]", ("integer", None, None, None)),
        ("character varying(20)[]", ("character varying", 20, None, None)),
        ("double precision", ("double precision", None, None, None)),
    ],
)
def test_parse_type(fmt: str, parsed: tuple[str, int | None, int | None, int | None]) -> None:
    assert parse_type(fmt) == parsed


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://app:s3cr3t@db:5432/shop",
        "postgresql+psycopg://app:s3cr3t@db/shop?sslmode=require",
        "host=db user=app password=s3cr3t dbname=shop",
        "failed for mysql+pymysql://root:s3cr3t@127.0.0.1:3306/x (reason)",
    ],
)
def test_redact_removes_passwords(text: str) -> None:
    cleaned = redact(text)
    assert "s3cr3t" not in cleaned
    assert "***" in cleaned


def test_redact_keeps_urls_without_password() -> None:
    url = "postgresql://postgres@127.0.0.1:5432/postgres"
    assert redact(url) == url


def test_normalize_url() -> None:
    assert normalize_url("postgresql+psycopg://u@h/d") == "postgresql://u@h/d"
    assert normalize_url("postgres://u@h/d") == "postgresql://u@h/d"
    # no host at all: libpq's environment (PGHOST, PGSERVICE, ...) names the server
    assert normalize_url("postgresql://") == "postgresql://"
    assert sqlalchemy_url("postgresql://") == "postgresql+psycopg://"
    assert normalize_url("postgresql:///d?host=/tmp") == "postgresql:///d?host=/tmp"
    assert sqlalchemy_url("postgres://u:p@h:5/d?sslmode=require#x") == (
        "postgresql+psycopg://u:p@h:5/d?sslmode=require#x"
    )
    assert normalize_url("host=h dbname=d") == "host=h dbname=d"  # libpq key=value as given


def test_tsconfig_with_comments_and_trailing_commas(tmp_path: Path) -> None:
    path = tmp_path / "tsconfig.json"
    path.write_text(
        '{\n  // compiler\n  "compilerOptions": {"rootDir": "src", /* x */ "outDir": "dist",},\n'
        '  "include": ["src/**/*.ts"],\n}\n'
    )
    data = read_tsconfig(path)
    assert data["compilerOptions"] == {"rootDir": "src", "outDir": "dist"}
    assert data["include"] == ["src/**/*.ts"]
