"""The student's side of grading: a script that calls the student's functions and saves
what they return, nothing more.

The grader runs it as ``python -I -S -B child.py RUN_DIR`` in a process of its own. It
imports only the standard library, NumPy and the student's ``minilstm`` (``sys.path``
holds the workspace and a folder with NumPy alone), so the reference implementation is
neither loaded nor importable here. ``RUN_DIR`` holds what the grader asks:

- ``plan.json``: the workspace, the library's code of the *other* parts (the workspace
  has it for parts it did not hand out anyway) and the calls to make, in order;
- ``inputs.npz``: the arrays those calls take.

After call ``k`` the script writes ``out/k.json`` and ``out/k.npz``: what the call
returned (and, if asked, its arguments after the call), or how it ended; it stops at
the first call that does not return. A call without its files is the one during which
the process ended. The grader compares those outputs with the reference in its own
process; nothing written here is a verdict.
"""

import json
import sys
import textwrap
import traceback
from pathlib import Path

MAX_DEPTH = 20  # nesting deeper than any result of the parts is not data


def setup_path(run_dir: Path, workspace: Path) -> None:
    """The workspace first, the standard library, and NumPy from its own folder."""
    stdlib = [p for p in sys.path if p and "site-packages" not in p]
    sys.path[:] = [str(workspace), *stdlib, str(run_dir / "site")]


class Encoder:
    """Turns results into JSON and arrays; objects (a model) become their type's
    name."""

    def __init__(self, key: str) -> None:
        self.key, self.arrays = key, {}

    def encode(self, value: object, depth: int = 0) -> object:
        """``value`` as JSON, its arrays kept aside; ``depth`` is its nesting so far."""
        import numpy as np

        if depth > MAX_DEPTH:
            return {"object": "a structure nested too deeply"}
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return value.item()
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biufc":
                return {"object": f"array of dtype {value.dtype}"}
            name = f"{self.key}_{len(self.arrays)}"
            self.arrays[name] = value
            return {"a": name}
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            module = type(value).__module__.removeprefix("minilstm.")
            pairs = zip(value._fields, value, strict=True)
            fields = {f: self.encode(v, depth + 1) for f, v in pairs}
            return {"make": f"{module}.{type(value).__qualname__}", "fields": fields}
        if isinstance(value, tuple | list):
            items = [self.encode(v, depth + 1) for v in value]
            return {"tuple" if isinstance(value, tuple) else "list": items}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"dict": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        return {"object": type(value).__name__}


def decode(value: object, inputs: dict, objects: dict) -> object:
    """An argument of the plan, with arrays copied so that no call sees another's."""
    if not isinstance(value, dict):
        return value
    if "a" in value:
        return inputs[value["a"]].copy()
    if "ref" in value:
        return objects[value["ref"]]
    if "make" in value:
        module, _, name = value["make"].rpartition(".")
        cls = getattr(sys.modules[f"minilstm.{module}"], name)
        return cls(
            **{k: decode(v, inputs, objects) for k, v in value["fields"].items()}
        )
    if "dict" in value:
        return {k: decode(v, inputs, objects) for k, v in value["dict"].items()}
    items = [
        decode(v, inputs, objects) for v in value.get("tuple", value.get("list", []))
    ]
    return tuple(items) if "tuple" in value else items


def describe(exc: BaseException, workspace: Path) -> dict:
    """How a call ended, for the grader to put in words: type, message, the line of the
    student's code it came from."""
    kind = "exception"
    if isinstance(exc, SystemExit):
        kind = "exit"
    elif isinstance(exc, KeyboardInterrupt):
        kind = "interrupt"
    elif isinstance(exc, MemoryError):
        kind = "memory"
    text = str(exc).strip()
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(workspace):
            where = [str(path.relative_to(workspace)), frame.lineno, frame.line]
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "message": text.splitlines()[0] if text else "",
        "code": exc.code if isinstance(exc, SystemExit) else None,
        "where": where,
    }


def isolate(replacements: list[dict]) -> None:
    """Put the library's code of the other parts in place of the student's, in every
    module of the student's package that refers to it (``from`` imports included)."""
    student = [m for n, m in sys.modules.items() if n.split(".")[0] == "minilstm"]
    for item in replacements:
        module = sys.modules[f"minilstm.{item['module']}"]
        owner_name, _, name = item["qualname"].rpartition(".")
        scope = {}
        exec(textwrap.dedent(item["source"]), vars(module), scope)
        if owner_name:
            setattr(getattr(module, owner_name), name, scope[name])
            continue
        old = getattr(module, name)
        for namespace in student:
            for key, value in list(vars(namespace).items()):
                if value is old:
                    setattr(namespace, key, scope[name])


def write(out: Path, key: str, record: dict, encoder: Encoder) -> None:
    """Write ``record`` as ``out/<key>.json`` and the encoder's arrays as ``.npz``."""
    import numpy as np

    np.savez(out / f"{key}.npz", **encoder.arrays)
    (out / f"{key}.json").write_text(json.dumps(record))


def main(run_dir: Path) -> None:
    """Make the calls of ``run_dir``'s plan and write what they returned (see top)."""
    plan = json.loads((run_dir / "plan.json").read_text())
    workspace = Path(plan["workspace"]).resolve()
    setup_path(run_dir, workspace)
    out = run_dir / "out"
    try:
        import importlib

        import numpy as np

        for name in plan["modules"]:
            importlib.import_module(f"minilstm.{name}")
    except BaseException as exc:  # every way importing can end is the student's
        write(out, "import", {"error": describe(exc, workspace)}, Encoder("import"))
        return
    isolate(plan["isolate"])
    write(out, "import", {}, Encoder("import"))
    with np.load(run_dir / "inputs.npz", allow_pickle=False) as data:
        inputs = dict(data)
    objects = {}
    for k, step in enumerate(plan["steps"]):
        encoder = Encoder(str(k))
        try:
            args = decode(step["args"], inputs, objects)
            kwargs = decode(step["kwargs"], inputs, objects)
            kind, owner, attr = step["target"]
            if kind == "ref":
                function = getattr(objects[owner], attr)
            else:
                function = getattr(sys.modules[f"minilstm.{owner}"], attr)
            result = function(*args, **kwargs)
        except BaseException as exc:  # every way a call can end is reported against it
            write(out, str(k), {"error": describe(exc, workspace)}, encoder)
            return
        record = {"result": encoder.encode(result)}
        if record["result"] == {"object": type(result).__name__}:
            objects[k] = result
        if step["record_args"]:
            record["args"] = encoder.encode(args)
        write(out, str(k), record, encoder)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
