"""Python names for manifest things, chosen by written, deterministic rules.

* A model class is named after its TypeORM entity; an attribute after its TypeORM
  property in snake case (``viewCount`` -> ``view_count``, `python_name`), or, with
  ``attribute_names="typeorm"``, as the property itself (``viewCount``). A join column
  with no property of its own is named after its column (``authorId`` -> ``author_id``).
* A flattened embedded column is named after its property path joined with ``_``
  (``home.postalCode`` -> ``home_postal_code``; ``home_postalCode`` with TypeORM names).
* An enum class is named after its PostgreSQL type, without a trailing ``_enum``
  (``post_status_enum`` -> ``PostStatus``); its members are the values upper-cased.
* A module is named after its class in snake case (``PostRating`` -> ``post_rating``).

Collisions are settled in one place, `find_free_name`: a trailing underscore, then a
number, so that the same manifest always gets the same names.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection

#: Attribute names a declarative class cannot use for a column or relationship.
RESERVED_ATTRIBUTES = frozenset(
    {"metadata", "registry", "type_annotation_map", "query", "query_class", "awaitable_attrs"}
)


#: Every name a generated class body can use as an expression (imports and helpers of
#: the generated modules). An attribute by one of these names would shadow it for the
#: rest of the class body (``text: Mapped[str] = ...`` and then ``server_default=
#: text(...)``), so attributes never take them. (Names used only in annotations, such as
#: ``uuid`` or ``datetime``, are safe: SQLAlchemy reads those in the module's namespace.)
#: A test checks that generated modules import no other name.
MODULE_NAMES = frozenset(
    {
        # ormshift's own modules
        "Base", "run_after_create", "PgType", "SimpleArray", "SimpleJson", "IPAddress",
        "Interval", "PgInterval", "PgJson", "Point", "Circle", "PgPoint", "PgCircle",
        "IPNetwork", "NAMING_CONVENTION",
        # sqlalchemy and sqlalchemy.orm
        "CheckConstraint", "Column", "Computed", "Connection", "DDL", "DBAPIError",
        "DeclarativeBase", "ForeignKey", "ForeignKeyConstraint", "Identity", "Index",
        "Mapped", "MetaData", "PrimaryKeyConstraint", "Sequence", "Table",
        "UniqueConstraint", "UserDefinedType", "CreateSequence", "and_", "composite",
        "event", "func", "mapped_column", "relationship", "text", "op",
        # column types, generic and PostgreSQL's
        "ARRAY", "BIT", "BigInteger", "Boolean", "CHAR", "CIDR", "CITEXT", "Date",
        "DateTime", "Double", "ENUM", "Enum", "Float", "INET", "INTERVAL", "Integer",
        "JSON", "JSONB", "LargeBinary", "MACADDR", "MACADDR8", "MONEY", "Numeric", "OID",
        "REAL", "SmallInteger", "String", "TIME", "TIMESTAMP", "TSVECTOR", "Text", "Time",
        "Uuid", "VARCHAR",
    }
)  # fmt: skip


def find_free_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name_``, ``name_2``, ``name_3`` ... whichever is first not in ``taken``."""
    if name not in taken:
        return name
    if f"{name}_" not in taken:
        return f"{name}_"
    n = 2
    while f"{name}_{n}" in taken:
        n += 1
    return f"{name}_{n}"


def identifier(text: str) -> str:
    """``text`` made into a valid Python identifier (never a keyword)."""
    out = re.sub(r"\W", "_", text, flags=re.ASCII)
    if not out or out[0].isdigit():
        out = f"_{out}"
    if keyword.iskeyword(out) or keyword.issoftkeyword(out) or out == "__":
        out = f"{out}_"
    return out


def attribute_name(text: str) -> str:
    """A mapped attribute name: an identifier that is not reserved by declarative."""
    out = identifier(text)
    if out in RESERVED_ATTRIBUTES or out.startswith("__"):
        out = f"{out.strip('_')}_"
    return out


def python_name(path: str) -> str:
    """A mapped attribute name in Python's style for a TypeORM property (path):
    ``viewCount`` -> ``view_count``, ``Index`` -> ``index``, ``home.postalCode`` ->
    ``home_postal_code``, ``metadata`` -> ``metadata_`` (`attribute_name`)."""
    return attribute_name("_".join(snake_case(p) for p in path.split(".")))


def snake_case(text: str) -> str:
    """``PostRating`` -> ``post_rating``, ``HTTPLog`` -> ``http_log``."""
    out = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    return identifier(out.lower())


def pascal_case(text: str) -> str:
    """``post_status`` -> ``PostStatus`` (case inside a word is kept)."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", text) if p]
    out = "".join(p[0].upper() + p[1:] for p in parts)
    return identifier(out or "Model")


def enum_class_name(type_name: str) -> str:
    base = type_name.removesuffix("_enum") if type_name.endswith("_enum") else type_name
    return pascal_case(base or type_name)


def enum_member_name(value: str) -> str:
    out = re.sub(r"[^0-9A-Za-z]+", "_", value).strip("_").upper()
    return identifier(out or "EMPTY")


def constant_name(text: str) -> str:
    """``post_tags_tag`` -> ``POST_TAGS_TAG``."""
    return identifier(snake_case(text).upper())


def py_str(text: str) -> str:
    """A Python string literal for ``text`` quoted as ``ruff format`` would quote it.

    Starts from ``repr()`` and switches to double quotes unless that needs more escapes.
    """
    if "'" in text and '"' not in text:
        return repr(text)
    if text.count('"') > text.count("'"):
        return repr(text)
    body = repr(text)[1:-1].replace("\\'", "'").replace('"', '\\"')
    return f'"{body}"'


def doc_text(text: str) -> str:
    """``text`` safe inside a generated docstring (no quote or backslash can end it early)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    return " ".join(out.split())
