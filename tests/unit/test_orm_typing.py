"""The public ORM API is typed: a ported service (tests/typed/ported_service.py) passes
``mypy --strict`` with no ``Any``, cast or ignore, and every call with a wrong type in
tests/typed/wrong_types.py is an error, so a signature that loses its types (``Any``
where ``list[Post]`` was) fails here."""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPED = ROOT / "tests" / "typed"
_ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: ")


def _mypy(*files: Path) -> list[tuple[str, int]]:
    """(file name, line) of each error ``mypy --strict`` reports in ``files`` (the
    modules they import are checked for types, their own errors not reported)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    cache = Path(tempfile.gettempdir()) / "ormshift-mypy-typed"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(cache),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    found = [_ERROR.match(line) for line in done.stdout.splitlines()]
    return [(Path(m["file"]).name, int(m["line"])) for m in found if m]


def test_ported_service_is_clean_and_wrong_types_fail() -> None:
    errors = _mypy(TYPED / "ported_service.py", TYPED / "wrong_types.py")
    assert [e for e in errors if e[0] != "wrong_types.py"] == []
    wrong = TYPED / "wrong_types.py"
    marked = [
        i for i, line in enumerate(wrong.read_text().splitlines(), 1) if line.endswith("# wrong")
    ]
    assert len(marked) > 10
    assert sorted({line for _, line in errors}) == marked


#: where ``Any`` stays, on purpose (docs/orm.md, "Types"): SQLAlchemy's own
#: ``TypeDecorator`` signatures, a value transformer's values (each column's
#: transformer has its own value types; a protocol of ``object`` would refuse every
#: typed transformer) and the operator argument the where walkers read
ANY_ALLOWED = {
    "FindOperator.value",
    "FindOperator.__init__",
    "Transformed.__init__",
    "Transformed.process_bind_param",
    "Transformed.process_result_value",
    "Transformed.compare_values",
    "Transformed.coerce_compared_value",
    "ValueTransformer.to_database",
    "ValueTransformer.from_database",
}


def _public_members() -> list[tuple[str, object]]:
    import ormshift.orm as orm  # noqa: PLC0415 - imported for the inspection only
    from ormshift.orm.querybuilder import delete, insert, relation, update, write  # noqa: PLC0415
    from ormshift.orm.trees.repository import TreeRepository  # noqa: PLC0415

    builders = [
        delete.DeleteQueryBuilder,
        insert.InsertQueryBuilder,
        relation.RelationQueryBuilder,
        update.SoftDeleteQueryBuilder,
        update.UpdateQueryBuilder,
        write.WriteQueryBuilder,
    ]
    exported = [(name, getattr(orm, name)) for name in orm.__all__]
    return [
        *exported,
        ("TreeRepository", TreeRepository),
        *((cls.__name__, cls) for cls in builders),
    ]


def _annotations(obj: object) -> list[tuple[str, str]]:
    """(name, annotation text) of a function's signature or of a class's public
    methods, properties and fields."""
    if not isinstance(obj, type):
        return [("", str(inspect.signature(obj)))] if callable(obj) else []
    out: list[tuple[str, str]] = []
    for name, value in vars(obj).items():
        if name.startswith("_") and name != "__init__":
            continue
        fn = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if callable(fn):
            with contextlib.suppress(TypeError, ValueError):
                out.append((f".{name}", str(inspect.signature(fn))))
    out += [(f".{k}", str(v)) for k, v in vars(obj).get("__annotations__", {}).items()]
    return out


def test_no_any_in_public_signatures() -> None:
    found = sorted(
        f"{name}{member}: {text}"
        for name, obj in _public_members()
        for member, text in _annotations(obj)
        if re.search(r"\bAny\b", text) and f"{name}{member}" not in ANY_ALLOWED
    )
    assert found == []
