"""A manifest as a Python package of SQLAlchemy models, rendered and written atomically.

`render_package` is pure: the same manifest gives the same files, byte for byte.
`write_package` writes them into a temporary directory next to the target and moves
it into place, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ormshift.codegen.alembic_env import render_alembic
from ormshift.codegen.bookkeeping import CONSTANT as BOOKKEEPING_CONSTANT
from ormshift.codegen.bookkeeping import render_bookkeeping
from ormshift.codegen.bookkeeping import rows as bookkeeping_rows
from ormshift.codegen.columns import serial_outside_pk
from ormshift.codegen.hooks import hook_notes, render_subscribers, render_transformers
from ormshift.codegen.models import Finding, render_model
from ormshift.codegen.plan import AttributeNames, plan
from ormshift.codegen.runtime import render_types
from ormshift.codegen.support import (
    render_base,
    render_embedded,
    render_enums,
    render_init,
    render_naming,
    render_tables,
)
from ormshift.codegen.views import CONSTANT as VIEWS_CONSTANT
from ormshift.codegen.views import created_views, render_views
from ormshift.errors import OutputError
from ormshift.manifest import Manifest

__all__ = ["AttributeNames", "Finding", "GeneratedPackage", "render_package", "write_package"]


@dataclass(frozen=True)
class GeneratedPackage:
    """File name -> source, and what could not be carried over faithfully."""

    files: dict[str, str]
    findings: tuple[Finding, ...]


#: warnings of the extractor the generated stubs answer (`codegen.hooks`)
_STUBBED = frozenset({"listener", "transformer", "subscriber"})


def _manifest_findings(manifest: Manifest) -> list[Finding]:
    stubbed = _STUBBED if manifest.format_version >= 2 else frozenset()
    out = [
        Finding(w.entity, w.property, f"{w.feature}: {w.message}")
        for w in manifest.warnings
        if w.feature not in stubbed
    ]
    for table in manifest.tables:
        if table.kind == "view" and not table.view_expression:
            out.append(
                Finding(
                    table.name,
                    None,
                    "the view's SQL is not in the manifest; create it with its own migration",
                )
            )
    return out


def render_package(
    manifest: Manifest, *, alembic: bool = False, attribute_names: AttributeNames = "python"
) -> GeneratedPackage:
    """Every file of the generated package, keyed by file name (a path inside the package);
    with ``alembic``, also its Alembic environment and baseline revision (``migrations/``).
    ``attribute_names``: attributes in Python's style (``view_count``) or TypeORM's
    (``viewCount``); the database names are the same either way."""
    p = plan(manifest, attribute_names)
    findings: list[Finding] = _manifest_findings(manifest)
    after_create = any(
        t.exclusions or any(serial_outside_pk(c, t) for c in t.columns) for t in manifest.tables
    )
    files: dict[str, str] = {"base.py": render_base(p, after_create)}
    if p.convention:
        files["naming.py"] = render_naming()
    exports: dict[str, list[str]] = {}
    if p.enums:
        files["enums.py"] = render_enums(p)
        exports["enums"] = [e.class_name for e in p.enums]
    if p.embeddables():
        files["embedded.py"] = render_embedded(p)
    if p.tables:
        files["tables.py"] = render_tables(p)
        exports["tables"] = list(p.table_constants.values())
    for model in p.models:
        files[f"{model.module}.py"] = render_model(p, model, findings)
        exports[model.module] = [model.class_name]
    transformers = render_transformers(p)
    if transformers is not None:
        files["transformers.py"] = transformers
    subscribers = render_subscribers(p)
    if subscribers is not None:
        files["subscribers.py"] = subscribers
        exports["subscribers"] = ["SUBSCRIBERS"]
    findings += [Finding(*note) for note in hook_notes(p)]
    if created_views(p):
        files["views.py"] = render_views(p)
        exports["views"] = [VIEWS_CONSTANT]
    if bookkeeping_rows(p):
        files["typeorm_metadata.py"] = render_bookkeeping(p)
        exports["typeorm_metadata"] = [BOOKKEEPING_CONSTANT]
    if any(".types import" in src for src in files.values()):
        files["types.py"] = render_types()
    files["__init__.py"] = render_init(p, dict(sorted(exports.items())))
    if alembic:
        files.update(render_alembic(manifest))
    return GeneratedPackage(dict(sorted(files.items())), tuple(findings))


def _check_target(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a directory; choose another path")
    if not out_dir.name.isidentifier():
        raise OutputError(
            f"{out_dir}: {out_dir.name!r} cannot be a Python package name; "
            "choose a directory named like an identifier (e.g. models)"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputError(
            f"{out_dir} is not empty; pass --force to replace it or choose an empty directory"
        )
    parent = out_dir.parent
    if not parent.is_dir():
        raise OutputError(f"{out_dir}: the directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{out_dir}: cannot write in {parent} (permission denied)")


def write_package(package: GeneratedPackage, out_dir: Path, *, force: bool = False) -> None:
    """Write ``package`` to ``out_dir`` all at once; refuse a non-empty one without ``force``."""
    out_dir = out_dir.absolute()
    _check_target(out_dir, force)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write there ({exc.strerror})") from exc
    old: Path | None = None
    try:
        for name, text in package.files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        staging.chmod(0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            old.rmdir()
            out_dir.rename(old)
        staging.rename(out_dir)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None and not out_dir.exists():
            old.rename(out_dir)
        raise OutputError(f"{out_dir}: cannot write there ({exc.strerror})") from exc
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
