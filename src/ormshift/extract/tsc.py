"""Compiling a TypeORM project's TypeScript with its own tsconfig, into a scratch dir.

The project is never written to: output goes to a temporary directory, through a
tsconfig that extends the project's and changes only what the move would otherwise
change: the output folder, the ``typeRoots`` tsc would have found beside the project's
config, and ``typeorm`` mapped to the bridge's copy when Node finds none from the
project. Type errors in files that declare no entity do not stop it (tsc emits anyway;
they come back as a warning).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ormshift.errors import ExtractError
from ormshift.extract import cache
from ormshift.extract.bridge import bridge_modules, run_node
from ormshift.extract.resolve import (
    TsOptions,
    default_type_roots,
    effective_options,
    find_package,
    major_minor,
    package_version,
    read_tsconfig,
)

__all__ = ["Compiled", "compile_project", "locate_typeorm", "read_tsconfig"]

_TS_ERROR = re.compile(r"^(?P<loc>(?P<file>.+?)\(\d+,\d+\)): error (?P<code>TS\d+): (?P<msg>.*)$")
_ENTITY_SOURCE = re.compile(r"@(?:Entity|ViewEntity|ChildEntity)\s*\(|\bnew\s+EntitySchema\b")
_WARNINGS = ".ormshift-tsc-warnings.json"


@dataclass(frozen=True)
class Compiled:
    root_dir: Path
    out_dir: Path
    node_path: tuple[Path, ...]
    #: path aliases of the tsconfig (pattern -> absolute substitutions), for run time
    paths: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the package the project imports TypeORM as
    typeorm_package: str = "typeorm"
    #: type errors outside the entity files: compiled anyway
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProjectTypeorm:
    """Where the project's TypeORM and reflect-metadata are, as Node finds them."""

    package: str
    typeorm: Path | None
    reflect_metadata: Path | None

    def node_path(self) -> tuple[Path, ...]:
        out: list[Path] = []
        for found in (self.typeorm, self.reflect_metadata):
            if found is not None:
                folder = found.parent.parent if found.parent.name.startswith("@") else found.parent
                if folder not in out:
                    out.append(folder)
        bridge = bridge_modules()
        return (*out, bridge) if bridge not in out else tuple(out)


def _find(project: Path, name: str, search_from: tuple[Path, ...]) -> Path | None:
    """``name`` as Node finds it from the project, else from where its entities are (an
    app whose entities ship in a package, with TypeORM installed beside them)."""
    for start in (project, *search_from):
        found = find_package(start, name)
        if found is not None:
            return found
    return None


def locate_typeorm(
    project: Path, package: str = "typeorm", search_from: tuple[Path, ...] = ()
) -> ProjectTypeorm:
    """The project's TypeORM (``package``, for forks), refused when too old to load."""
    found = _find(project, package, search_from)
    if found is None and package != "typeorm":
        raise ExtractError(
            f"--typeorm-package {package}: no node_modules/{package} is found from {project}; "
            "install the project's dependencies first (npm ci)"
        )
    if found is not None:
        version = package_version(found) or "?"
        parsed = major_minor(version)
        if parsed is not None and parsed < (0, 3):
            raise ExtractError(
                f"{project} uses TypeORM {version} ({found}); ormshift needs TypeORM 0.3 or "
                "newer (DataSource): upgrade the project's typeorm to 0.3.x or 1.x"
            )
    return ProjectTypeorm(package, found, _find(project, "reflect-metadata", search_from))


def node_path_for(project: Path) -> tuple[Path, ...]:
    return locate_typeorm(project).node_path()


def _entity_file(path: Path) -> bool:
    try:
        return _ENTITY_SOURCE.search(path.read_text("utf-8", errors="replace")) is not None
    except OSError:
        return False


def _scratch_options(
    project: Path, options: TsOptions, typeorm: ProjectTypeorm, out_dir: Path, root: Path
) -> dict[str, Any]:
    compiler: dict[str, Any] = {
        "outDir": str(out_dir),
        "rootDir": str(root),
        "noEmit": False,
        "noEmitOnError": False,
        "declaration": False,
        "declarationMap": False,
        "sourceMap": False,
        "composite": False,
        "incremental": False,
        "tsBuildInfoFile": None,
    }
    # tsc's default typeRoots start at the folder of the config it is given: the scratch
    # one lives elsewhere, so name the project's own defaults (when it names none itself)
    if options.type_roots is None:
        compiler["typeRoots"] = [str(p) for p in default_type_roots(project)]
    missing = [
        name
        for name, where in (
            ("typeorm", typeorm.typeorm),
            ("reflect-metadata", typeorm.reflect_metadata),
        )
        if where is None
    ]
    if missing or options.paths:
        bridge = bridge_modules()
        # made absolute: relative substitutions would be read against the scratch config
        paths = {pattern: list(subs) for pattern, subs in options.paths.items()}
        for name in missing:
            paths.setdefault(name, [str(bridge / name)])
            paths.setdefault(f"{name}/*", [str(bridge / name / "*")])
        compiler["paths"] = paths
    return compiler


def compile_project(
    project: Path,
    scratch: Path,
    timeout: float = 600,
    *,
    typeorm_package: str = "typeorm",
    search_from: tuple[Path, ...] = (),
) -> Compiled:
    """Compile ``project`` (or reuse the build of identical sources from the cache);
    ``search_from`` are more folders to find TypeORM from (those of the entity files)."""
    tsconfig = project / "tsconfig.json"
    typeorm = locate_typeorm(project, typeorm_package, search_from)
    node_path = typeorm.node_path()
    if not tsconfig.is_file():
        # An already-compiled JavaScript project: load it where it is.
        return Compiled(project, project, node_path, typeorm_package=typeorm_package)
    options = effective_options(tsconfig)
    root = (options.root_dir or project).resolve()
    own_tsc = find_package(project, "typescript")
    tsc = (own_tsc or bridge_modules() / "typescript") / "bin" / "tsc"
    if not tsc.is_file():
        tsc = bridge_modules() / "typescript" / "bin" / "tsc"
    key = cache.build_key(
        project,
        tsc,
        own_typeorm=f"{typeorm.typeorm}|{typeorm.reflect_metadata}",
        extra=options.files,
    )

    def made(out_dir: Path, warnings: tuple[str, ...]) -> Compiled:
        return Compiled(root, out_dir, node_path, options.paths, typeorm_package, warnings)

    cached = cache.lookup(key)
    if cached is not None:
        return made(cached, _read_warnings(cached))
    out_dir = scratch / "build"
    compiler = _scratch_options(project, options, typeorm, out_dir, root)
    config: dict[str, Any] = {"extends": str(tsconfig.resolve()), "compilerOptions": compiler}
    config.update(_inputs(project, options))
    scratch_config = scratch / "tsconfig.ormshift.json"
    scratch_config.write_text(json.dumps(config, indent=2), "utf-8")
    proc = run_node([str(tsc), "-p", str(scratch_config)], f"tsc on {project}", project, timeout)
    warnings: tuple[str, ...] = ()
    if proc.returncode != 0:
        warnings = _triage(proc.stdout + proc.stderr, project, out_dir)
        (out_dir / _WARNINGS).write_text(json.dumps(list(warnings)), "utf-8")
    stored = cache.store(key, out_dir)
    return made(stored or out_dir, warnings)


def _inputs(project: Path, options: TsOptions) -> dict[str, list[str]]:
    """tsc's default inputs (every file below the config, less node_modules and outDir)
    are read relative to the config it is given: when the project's configs name none,
    name the project's own."""
    out: dict[str, list[str]] = {}
    if not options.declares_inputs:
        out["include"] = [str(project / "**" / "*")]
    if not options.declares_exclude:
        skip = [project / d for d in ("node_modules", "bower_components", "jspm_packages")]
        if options.out_dir is not None:
            skip.append(options.out_dir)
        out["exclude"] = [str(p) for p in skip]
    return out


def _read_warnings(build: Path) -> tuple[str, ...]:
    try:
        data = json.loads((build / _WARNINGS).read_text("utf-8"))
    except (OSError, ValueError):
        return ()
    return tuple(str(w) for w in data) if isinstance(data, list) else ()


def _triage(output: str, project: Path, out_dir: Path) -> tuple[str, ...]:
    """Type errors in files that declare entities (or no JavaScript emitted at all) stop
    the extraction; the others come back, the first few, as one warning."""
    errors: list[tuple[str, str]] = []
    for line in output.splitlines():
        m = _TS_ERROR.match(line.strip())
        if m:
            errors.append((m["file"], f"{m['loc']}: {m['code']} {m['msg']}"))
    emitted = out_dir.is_dir() and any(out_dir.rglob("*.js"))
    blocking = [text for file, text in errors if _entity_file(project / file)]
    if blocking or not emitted or not errors:
        raise ExtractError(_compile_failure(output, project, blocking or None))
    shown = "; ".join(text for _, text in errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return (
        f"{len(errors)} type error(s) outside the entity files, compiled anyway: {shown}{more}",
    )


def _compile_failure(output: str, project: Path, errors: list[str] | None = None) -> str:
    if errors is None:
        errors = []
        for line in output.splitlines():
            m = _TS_ERROR.match(line.strip())
            if m:
                errors.append(f"{m['loc']}: {m['code']} {m['msg']}")
    if not errors:
        first = next((ln.strip() for ln in output.splitlines() if ln.strip()), "no output")
        return f"TypeScript compilation of {project} failed: {first}"
    shown = "; ".join(errors[:3])
    more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
    return (
        f"TypeScript compilation of {project} failed with {len(errors)} error(s): {shown}{more}. "
        "Fix them and run again"
    )
