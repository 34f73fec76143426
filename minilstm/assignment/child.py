"""The student's side of grading: a script that calls the student's functions and sends
back what they return, nothing more.

The grader runs it as ``python -I -S -B child.py FD SITE`` in a process of its own,
and talks to it through pipes only: no file the process can read holds the grader's
plan, and nothing it writes to disk is ever read back. It imports only the standard
library, NumPy and the student's ``minilstm`` (``sys.path`` holds the workspace and
SITE, a folder with NumPy alone), so the reference implementation is neither loaded
nor importable here.

On its standard input the grader sends, as one message (see ``send``), the plan: the
workspace, the calls to make in order and the arrays they take, and the functions of
the *other* parts. Those are not the student's to be judged on here, and they are not
the library's code either: each is a stand-in that sends its arguments to the grader
(a ``call`` message on FD) and returns what the grader's library computed (its answer
comes on standard input). After call ``k`` the script sends a ``result`` message: what
the call returned (and, if asked, its arguments after the call), or how it ended; it
stops at the first call that does not return. The grader compares those results with
the reference in its own process; nothing sent from here is a verdict.
"""

import json
import os
import struct
import sys
import traceback
from pathlib import Path

MAX_DEPTH = 20  # nesting deeper than any result of the parts is not data
MAX_TEXT = 2000  # characters of a message or a string result sent back
LENGTH = struct.Struct("<Q")  # the size of a message's header, before it


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
        if isinstance(value, str):
            return value[:MAX_TEXT]
        if value is None or isinstance(value, bool | int | float):
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


def send(stream, header: dict, arrays: dict) -> None:
    """Write one message: the header's length, the header (JSON, with each array's
    name, dtype and shape), then each array's bytes."""
    import numpy as np

    arrays = {k: np.ascontiguousarray(a) for k, a in arrays.items()}
    meta = [[k, a.dtype.str, list(a.shape)] for k, a in arrays.items()]
    body = json.dumps({**header, "arrays": meta}).encode()
    stream.write(LENGTH.pack(len(body)) + body)
    for a in arrays.values():
        stream.write(memoryview(a).cast("B"))
    stream.flush()


def receive(stream) -> tuple[dict, dict]:
    """Read one message that ``send`` wrote (from the grader: trusted)."""
    import numpy as np

    (size,) = LENGTH.unpack(read_exactly(stream, LENGTH.size))
    header = json.loads(read_exactly(stream, size))
    arrays = {}
    for name, dtype, shape in header.pop("arrays"):
        dtype = np.dtype(dtype)
        count = int(np.prod(shape))
        data = read_exactly(stream, count * dtype.itemsize)
        arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
    return header, arrays


def read_exactly(stream, size: int) -> bytes:
    """``size`` bytes of ``stream``; EOFError if it ends first."""
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the grader closed the pipe")
    return data


def setup_path(workspace: Path, site: Path) -> None:
    """The workspace first, the standard library, and NumPy from its own folder."""
    stdlib = [p for p in sys.path if p and "site-packages" not in p]
    sys.path[:] = [str(workspace), *stdlib, str(site)]


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
            line = (frame.line or "")[:MAX_TEXT]
            where = [str(path.relative_to(workspace)), frame.lineno, line]
    code = exc.code if isinstance(exc, SystemExit) else None
    return {
        "kind": kind,
        "type": type(exc).__name__[:MAX_TEXT],
        "message": text.splitlines()[0][:MAX_TEXT] if text else "",
        "code": code if isinstance(code, int | None) else str(code)[:MAX_TEXT],
        "where": where,
    }


class Grader:
    """The two pipes to the grader: its messages come on ``requests`` (standard
    input), ours go to ``replies``."""

    def __init__(self, requests, replies) -> None:
        self.requests, self.replies = requests, replies

    def result(self, key: str, record: dict, encoder: Encoder) -> None:
        """Send what call ``key`` returned (or how it ended)."""
        send(
            self.replies,
            {"kind": "result", "key": key, "record": record},
            encoder.arrays,
        )

    def stand_in(self, function: str):
        """A function that has the grader run the library's ``function`` (e.g.
        "lstm.lstm_step_forward") on its arguments."""

        def call(*args: object, **kwargs: object) -> object:
            encoder = Encoder("q")
            header = {
                "kind": "call",
                "function": function,
                "args": encoder.encode(list(args)),
                "kwargs": encoder.encode(kwargs),
            }
            send(self.replies, header, encoder.arrays)
            answer, arrays = receive(self.requests)
            if "error" in answer:
                raise ValueError(f"{function.rpartition('.')[2]}: {answer['error']}")
            return decode(answer["result"], arrays, {})

        call.__name__ = call.__qualname__ = function.rpartition(".")[2]
        return call


def stand_in(grader: Grader, functions: list[str]) -> None:
    """Put the grader's stand-ins for ``functions`` (e.g. "lstm.lstm_step_forward") in
    place of the student's, in every module of the student's package that refers to
    them (``from`` imports included)."""
    student = [m for n, m in sys.modules.items() if n.split(".")[0] == "minilstm"]
    for function in functions:
        module_name, _, name = function.partition(".")
        module = sys.modules[f"minilstm.{module_name}"]
        old, new = getattr(module, name), grader.stand_in(function)
        for namespace in student:
            for key, value in list(vars(namespace).items()):
                if value is old:
                    setattr(namespace, key, new)


def main(replies_fd: int, site: Path) -> None:
    """Make the calls of the grader's plan and send what they returned (see top)."""
    sys.path.append(str(site))  # NumPy, to read the plan
    grader = Grader(sys.stdin.buffer, os.fdopen(replies_fd, "wb"))
    plan, inputs = receive(grader.requests)
    workspace = Path(plan["workspace"])
    setup_path(workspace, site)
    try:
        import importlib

        for name in plan["modules"]:
            importlib.import_module(f"minilstm.{name}")
    except BaseException as exc:  # every way importing can end is the student's
        grader.result("import", {"error": describe(exc, workspace)}, Encoder("import"))
        return
    stand_in(grader, plan["stand_ins"])
    grader.result("import", {}, Encoder("import"))
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
            grader.result(str(k), {"error": describe(exc, workspace)}, encoder)
            return
        record = {"result": encoder.encode(result)}
        if record["result"] == {"object": type(result).__name__}:
            objects[k] = result
        if step["record_args"]:
            record["args"] = encoder.encode(args)
        grader.result(str(k), record, encoder)


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
