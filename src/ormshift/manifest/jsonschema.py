"""The JSON Schema of the manifest, derived from the dataclasses.

The shipped file ``manifest.schema.json`` is this function's output; a test checks that
the two never drift apart. Regenerate with ``python -m ormshift.manifest.jsonschema``.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from importlib import resources
from typing import Any, Literal, get_args, get_origin

from ormshift.manifest.model import FORMAT_VERSION, READABLE_VERSIONS, Manifest

SCHEMA_FILE = "manifest.schema.json"


def _schema_for(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [a for a in get_args(hint) if a is not type(None)]
        schemas = [_schema_for(a, defs) for a in options]
        if type(None) in get_args(hint):
            schemas.append({"type": "null"})
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    if origin is Literal:
        return {"enum": list(get_args(hint))}
    if origin is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema_for(args[0], defs)}
        return {
            "type": "array",
            "prefixItems": [_schema_for(a, defs) for a in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}  # reserve against recursion
            hints = typing.get_type_hints(hint)
            props: dict[str, Any] = {}
            required: list[str] = []
            for f in dataclasses.fields(hint):
                props[f.name] = _schema_for(hints[f.name], defs)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    required.append(f.name)
            defs[name] = {
                "type": "object",
                "additionalProperties": False,
                "properties": props,
                "required": required,
            }
        return {"$ref": f"#/$defs/{name}"}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {"type": simple[hint]}


def build_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _schema_for(Manifest, defs)
    manifest_def = defs["Manifest"]
    manifest_def["properties"]["format_version"] = {"enum": list(READABLE_VERSIONS)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://ormshift.dev/schema/manifest-v{FORMAT_VERSION}.json",
        "title": "ormshift manifest",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def render_schema() -> str:
    return json.dumps(build_schema(), indent=2, sort_keys=False) + "\n"


def shipped_schema() -> dict[str, Any]:
    text = resources.files("ormshift.manifest").joinpath(SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


if __name__ == "__main__":  # pragma: no cover
    print(render_schema(), end="")
