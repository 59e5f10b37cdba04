"""A manifest from a TypeORM project, built by TypeORM's own metadata builder in Node."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ormshift.errors import ExtractError
from ormshift.extract.bridge import BridgeFailure, run_script
from ormshift.extract.resolve import effective_options
from ormshift.extract.tsc import Compiled, compile_project
from ormshift.manifest import Manifest, load_data

DATA_SOURCE_CANDIDATES = (
    "src/data-source.ts",
    "data-source.ts",
    "src/data-source.js",
    "data-source.js",
)
ENTITY_DIRS = ("entity", "entities", "model", "models")
BUILD_DIRS = ("dist", "build", "out")


def _to_output(path: Path, compiled: Compiled) -> Path:
    """Where the compiled JavaScript of a project source file lands."""
    path = path.resolve()
    try:
        rel = path.relative_to(compiled.root_dir)
    except ValueError as exc:
        raise ExtractError(
            f"{path} is outside the project's rootDir {compiled.root_dir}; "
            "point at a file inside the project"
        ) from exc
    out = compiled.out_dir / rel
    return out.with_suffix(".js") if out.suffix == ".ts" else out


def _build_output(project: Path) -> tuple[Path, ...]:
    """Folders holding compiled output, never sources: dist/, build/, out/, outDir."""
    out = [project / d for d in BUILD_DIRS]
    tsconfig = project / "tsconfig.json"
    if tsconfig.is_file():
        out_dir = effective_options(tsconfig).out_dir
        root_dir = effective_options(tsconfig).root_dir or project
        if out_dir is not None and out_dir.resolve() != root_dir.resolve():
            out.append(out_dir)
    return tuple(p.resolve() for p in out)


def _is_build_output(path: Path, skipped: tuple[Path, ...]) -> bool:
    return any(d in path.resolve().parents for d in skipped)


def _default_entity_files(project: Path) -> list[Path]:
    files = []
    skipped = _build_output(project)
    for path in sorted(project.rglob("*")):
        if "node_modules" in path.parts or path.suffix not in (".ts", ".js"):
            continue
        if path.name.endswith(".d.ts") or _is_build_output(path, skipped):
            continue
        parts = {p.lower() for p in path.relative_to(project).parts[:-1]}
        if parts & set(ENTITY_DIRS) or ".entity." in path.name:
            files.append(path)
    return files


def bridge_args(
    project: Path, compiled: Compiled, data_source: Path | None, entities: str | None
) -> list[str]:
    args = [
        "--project",
        str(project),
        "--root-dir",
        str(compiled.root_dir),
        "--out-dir",
        str(compiled.out_dir),
    ]
    if compiled.paths:
        args += ["--paths", json.dumps({k: list(v) for k, v in compiled.paths.items()})]
    if compiled.typeorm_package != "typeorm":
        args += ["--typeorm-package", compiled.typeorm_package]
    if data_source is None and entities is None:
        data_source = next(
            (project / c for c in DATA_SOURCE_CANDIDATES if (project / c).is_file()), None
        )
    if data_source is not None:
        source = data_source if data_source.is_absolute() else project / data_source
        if not source.is_file():
            raise ExtractError(f"data source file {data_source} does not exist in {project}")
        out = _to_output(source, compiled)
        return [*args, "--data-source", str(out), "--data-source-label", str(data_source)]
    if entities:
        skipped = _build_output(project) if compiled.out_dir != project else ()
        files = [f for f in sorted(project.glob(entities)) if not _is_build_output(f, skipped)]
    else:
        files = _default_entity_files(project)
    files = [f for f in files if f.suffix in (".ts", ".js") and not f.name.endswith(".d.ts")]
    if not files:
        what = f"no files match --entities {entities!r}" if entities else "no entity files found"
        raise ExtractError(
            f"{what} in {project}: pass --entities GLOB (e.g. 'src/entity/*.ts') "
            "or --data-source FILE"
        )
    for f in files:
        args += ["--entity", str(_to_output(f, compiled))]
    return args


def entity_folders(
    project: Path, data_source: Path | None, entities: str | None
) -> tuple[Path, ...]:
    """The folders of the data-source file or of the entity files (the first few), from
    which Node would resolve the TypeORM they import."""
    found: list[Path] = []
    if data_source is not None:
        found.append((project / data_source).parent)
    if entities:
        for path in sorted(project.glob(entities)):
            if path.parent not in found:
                found.append(path.parent)
            if len(found) >= 5:
                break
    return tuple(found)


def explain(failure: BridgeFailure, project: Path) -> str:
    kind, msg = failure.kind, failure.message
    if kind == "ColumnTypeUndefinedError":
        first = msg.split(". ")[0].rstrip(".")
        return (
            f"{first}: decorator metadata is missing. Give the column an explicit "
            "type (e.g. @Column({ type: 'varchar' })) or compile with "
            '"emitDecoratorMetadata": true in tsconfig.json'
        )
    if kind == "no-entities":
        return (
            f"no TypeORM entity classes found in {project}: pass --entities GLOB or "
            "--data-source FILE naming the files that declare @Entity classes"
        )
    if kind == "no-data-source":
        return (
            f"{msg}: export it, e.g. 'export const AppDataSource = new DataSource(...)'; a "
            "DataSource built inside a framework (NestJS TypeOrmModule.forRootAsync, Vendure's "
            "bootstrap) cannot be loaded: pass --entities GLOB naming the entity files instead"
        )
    if kind == "load-failed":
        return f"cannot load the compiled project: {msg}"
    if kind == "typeorm-version":
        return f"{msg}; upgrade the project's typeorm to 0.3.x or 1.x"
    if kind == "typeorm-missing":
        return f"{msg}; run 'npm ci' in the project or in the ormshift bridge"
    if kind == "crash":
        return f"the Node bridge failed: {msg}"
    return f"TypeORM rejected the entities ({kind}): {msg}"


def _run_compiled(
    project: Path,
    script: str,
    extra: list[str],
    data_source: Path | None,
    entities: str | None,
    typeorm_package: str,
) -> tuple[str, Compiled]:
    """Compile ``project`` into a scratch folder and run the bridge's ``script`` on it
    (with ``extra`` arguments); what it printed, or an `ExtractError` saying why not."""
    with tempfile.TemporaryDirectory(prefix=f"ormshift-{script.removesuffix('.js')}-") as tmp:
        compiled = compile_project(
            project,
            Path(tmp),
            typeorm_package=typeorm_package,
            search_from=entity_folders(project, data_source, entities),
        )
        args = [*bridge_args(project, compiled, data_source, entities), *extra]
        result = run_script(script, args, node_path=list(compiled.node_path), cwd=project)
    if isinstance(result, BridgeFailure):
        raise ExtractError(explain(result, project))
    return result, compiled


def extract_project(
    project: Path,
    *,
    data_source: Path | None = None,
    entities: str | None = None,
    typeorm_package: str = "typeorm",
) -> Manifest:
    """Compile ``project`` when needed and return TypeORM's view of its schema."""
    if not project.exists():
        raise ExtractError(
            f"project path {project} does not exist; give a TypeORM project directory"
        )
    if not project.is_dir():
        raise ExtractError(f"project path {project} is not a directory; give the project's root")
    project = project.resolve()
    result, compiled = _run_compiled(
        project, "extract.js", [], data_source, entities, typeorm_package
    )
    try:
        data = json.loads(result)
    except json.JSONDecodeError as exc:
        raise ExtractError(
            f"the Node bridge printed something that is not JSON ({exc.msg}): {result[:200]!r}"
        ) from exc
    data.setdefault("source", {})["project"] = project.name
    data.setdefault("warnings", []).extend(
        {"entity": "*", "property": None, "feature": "typescript", "message": w}
        for w in compiled.warnings
    )
    return load_data(data, origin=f"manifest of {project.name}")


def sync_project(
    project: Path,
    url: str,
    *,
    data_source: Path | None = None,
    entities: str | None = None,
    typeorm_package: str = "typeorm",
    skip_tables: tuple[str, ...] = (),
) -> None:
    """Create the project's schema in ``url`` with TypeORM's own ``synchronize()``;
    ``skip_tables`` it leaves alone (tables it cannot create, made beforehand)."""
    project = project.resolve()
    extra = ["--url", url]
    for table in skip_tables:
        extra += ["--skip-table", table]
    _run_compiled(project, "sync.js", extra, data_source, entities, typeorm_package)
