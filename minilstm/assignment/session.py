"""The checks' view of the student's code: every call to it is recorded, run elsewhere,
and replayed.

A check (``checks.py``) calls the student's functions only through ``Session.call``,
naming them as ``s.lstm.lstm_backward`` or as a method of an object made by an earlier
call. The grader runs each check twice in its own process:

1. with a ``Recorder``: every call runs the library's function instead, so the check
   passes and the recorder ends up holding the full list of calls and their inputs;
2. with a ``Replayer``, after ``child.py`` has made those calls on the student's code
   in a bounded process: every call returns what the student's function returned, or
   raises ``PartFailed`` saying how it ended.

The check's inputs are seeded, so both runs make the same calls in the same order, and
all comparing, diagnosing and scoring happens in the grader's process.
"""

import importlib
import signal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from minilstm.assignment.channel import Serve
from minilstm.assignment.child import Encoder
from minilstm.assignment.compare import PartFailed, describe_error
from minilstm.assignment.sandbox import ChildRun, Limits

MODULES = (
    "lstm",
    "dense",
    "losses",
    "optimizers",
    "seq2seq",
    "simple_rnn",
    "gru",
    "attention",
)


class Target(NamedTuple):
    """A student's function: ("module", "lstm", name) or ("ref", call, method name)."""

    kind: str
    owner: str | int
    attr: str


class Handle:
    """An object that a call of the student's code made (a model, an optimizer)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __getattr__(self, attr: str) -> Target:
        return Target("ref", self.step, attr)


class Module:
    """``s.lstm``: names the student's functions in one module."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Target:
        return Target("module", self.name, attr)


class PlanEncoder(Encoder):
    """Encodes a call's arguments for the child; objects travel as references."""

    def encode(self, value: object, depth: int = 0) -> object:
        """As ``Encoder.encode``, but a Handle becomes a reference to its call."""
        if isinstance(value, Handle):
            return {"ref": value.step}
        if isinstance(value, np.ndarray):
            value = value.copy()  # the library's call may change it in place afterwards
        return super().encode(value, depth)


class Session:
    """What a check gets: the student's modules by name, ``rng`` and ``call``."""

    # Added to every seed a check asks ``rng`` for: the self-check's inputs
    # (``selfcheck``) are drawn like the grader's but differ from them; the grader
    # draws one per part for the end-to-end check.
    seed_shift = 0
    # The parts handed out (None: every part), for a check that calls a student's
    # function only where it is theirs to write.
    handed_out: list[str] | None = None

    def __init__(self, workspace: Path) -> None:
        self.root = workspace
        for name in MODULES:
            setattr(self, name, Module(name))

    def rng(self, seed: int) -> np.random.Generator:
        """The random generator a check draws its inputs from.

        Args:
            seed: the check's own seed (the grader's inputs are the same every run).
        """
        return np.random.default_rng(seed + self.seed_shift)

    def hands_out(self, part: str) -> bool:
        """Whether ``part`` is handed out (every part is, unless told otherwise)."""
        return self.handed_out is None or part in self.handed_out

    def call(self, label: str, target: Target, *args: Any, **kwargs: Any) -> Any:
        """Call a student's function.

        Args:
            label: the function's name as the student knows it, for messages.
            target: the function, e.g. ``s.lstm.lstm_backward`` or ``model.predict``.
            *args: its arguments; NumPy arrays, numbers, and tuples, lists, dicts and
                caches of them, or objects an earlier call returned.
            **kwargs: its keyword arguments, like ``args``; ``record_args=True`` also
                brings back the arguments as the call left them (for in-place updates).
        """
        raise NotImplementedError


class Recorder(Session):
    """The first run: the library stands in for the student, and the calls are kept."""

    def __init__(self, workspace: Path) -> None:
        super().__init__(workspace)
        self.steps, self.objects = [], {}
        self.encoder = PlanEncoder("in")

    def real(self, value: object) -> object:
        """``value`` with every Handle replaced by the library's object."""
        if isinstance(value, Handle):
            return self.objects[value.step]
        if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
            return type(value)(self.real(v) for v in value)
        return value

    def call(self, label: str, target: Target, *args: Any, **kwargs: Any) -> Any:
        """Keep the call in the plan and return what the library's function returns."""
        record_args = kwargs.pop("record_args", False)
        k = len(self.steps)
        self.steps.append(
            {
                "label": label,
                "target": list(target),
                "args": self.encoder.encode(list(args)),
                "kwargs": self.encoder.encode(kwargs),
                "record_args": record_args,
            }
        )
        if target.kind == "ref":
            function = getattr(self.objects[target.owner], target.attr)
        else:
            module = importlib.import_module(f"minilstm.{target.owner}")
            function = getattr(module, target.attr)
        args = [self.real(a) for a in args]
        result = function(*args, **{key: self.real(v) for key, v in kwargs.items()})
        if Encoder("x").encode(result) == {"object": type(result).__name__}:
            self.objects[k] = result
            return Handle(k)
        return result

    def plan(self, workspace: Path, stand_ins: list[str]) -> tuple[dict, dict]:
        """The plan for ``child.py`` and its arrays.

        Args:
            workspace: the student's workspace.
            stand_ins: the functions of other parts that the grader runs instead of
                the student's (e.g. "lstm.lstm_step_forward"): see ``serve``.
        """
        plan = {
            "workspace": str(workspace),
            "modules": MODULES,
            "stand_ins": stand_ins,
            "steps": self.steps,
        }
        return plan, self.encoder.arrays


class Replayer(Session):
    """The second run: each call returns what the student's code gave in the child."""

    def __init__(
        self, workspace: Path, steps: list, run: ChildRun, limits: Limits
    ) -> None:
        super().__init__(workspace)
        self.steps, self.run, self.limits = steps, run, limits
        self.next = 0

    def outcome(self, label: str, key: str) -> tuple[dict, dict]:
        """The child's record for ``key``, or ``PartFailed`` saying how it ended."""
        found = self.run.records.get(key)
        if found is None:
            raise PartFailed(self.ended(label))
        record, arrays = found
        if "error" in record:
            error = record["error"]
            if not isinstance(error, dict) or not all(
                isinstance(error.get(k), str) for k in ("kind", "type", "message")
            ):
                raise PartFailed(f"{label} failed in a way the grader cannot read")
            where = error.get("where")
            if not (
                isinstance(where, list)
                and len(where) == 3
                and all(isinstance(w, str | int) for w in where)
            ):
                where = None
            code = error.get("code")
            code = code if isinstance(code, int | None) else str(code)[:100]
            error = {**error, "where": where, "code": code}
            raise PartFailed(describe_error(label, error, self.limits))
        return record, arrays

    def ended(self, label: str) -> str:
        """Why the process stopped during ``label``, in the student's terms."""
        run = self.run
        if run.problem:
            text = (
                f"{label}: the grader stopped listening to your code's process, which "
                f"sent {run.problem}"
            )
        elif run.timed_out:
            text = (
                f"{label} did not finish within the time limit "
                f"({self.limits.timeout:g} s for the part): an endless loop, or far "
                "too slow?"
            )
        elif run.returncode < 0:
            name = signal.Signals(-run.returncode).name
            text = f"{label} was stopped by the signal {name}"
            if name == "SIGXFSZ":
                text += f" (it wrote a file over {self.limits.file_mb} MB)"
        else:
            text = (
                f"{label} ended the process (exit code {run.returncode}) before it "
                "returned, e.g. with os._exit; a function must return its result"
            )
        tail = run.stderr.text().strip()
        return text + (f"\nIts last output:\n{tail[-1000:]}" if tail else "")

    def call(self, label: str, target: Target, *args: Any, **kwargs: Any) -> Any:
        """What the student's function returned in the child, or ``PartFailed``."""
        record_args = kwargs.pop("record_args", False)
        k, self.next = self.next, self.next + 1
        if k == 0:
            self.outcome("importing your minilstm", "import")
        if k >= len(self.steps) or self.steps[k]["target"] != list(target):
            raise RuntimeError(
                f"the check's call {k} ({label}) is not the one recorded"
            )
        record, arrays = self.outcome(label, str(k))
        if record_args:
            after_call = decode(record.get("args"), arrays, k)
            for arg, after in zip(args, after_call or [], strict=False):
                if isinstance(arg, list) and isinstance(after, list):
                    arg[:] = after
        return decode(record.get("result"), arrays, k)


def decode(value: object, arrays: dict, step: int) -> object:
    """A result the child wrote, as the check would get it from the library: arrays,
    numbers, tuples, lists, the library's caches, or a Handle for an object."""
    if not isinstance(value, dict):
        return value
    if "a" in value:
        return arrays.get(value["a"])
    if "object" in value:  # a Handle whose type name is the student's object's
        return type(value["object"], (Handle,), {})(step)
    if "dict" in value:
        return {k: decode(v, arrays, step) for k, v in value["dict"].items()}
    if "make" in value:
        fields = {k: decode(v, arrays, step) for k, v in value["fields"].items()}
        module, _, name = value["make"].rpartition(".")
        if module in MODULES:  # only the library's own modules are looked into
            cls = getattr(importlib.import_module(f"minilstm.{module}"), name, None)
            if getattr(cls, "_fields", None) == tuple(fields):
                return cls(**fields)
        return tuple(fields.values())
    items = [decode(v, arrays, step) for v in value.get("tuple", value.get("list", []))]
    return items if "list" in value else tuple(items)


def serve(functions: list[str]) -> Serve:
    """What answers the stand-ins' calls in a part's process: the library's function,
    if it is one of ``functions`` (e.g. "lstm.lstm_step_forward"), on the arguments
    the child sent; see ``sandbox.Conversation``."""

    def answer(header: dict, arrays: dict) -> tuple[dict, dict]:
        name = header.get("function")
        if name not in functions:
            return {"error": f"{name!r} is not another part's function"}, {}
        module, _, attr = name.partition(".")
        function = getattr(importlib.import_module(f"minilstm.{module}"), attr)
        try:
            args = decode(header.get("args"), arrays, -1)
            kwargs = decode(header.get("kwargs"), arrays, -1)
            if not isinstance(args, list) or not isinstance(kwargs, dict):
                raise TypeError("the arguments are not a list and a dict")
            with np.errstate(all="ignore"):
                result = function(*args, **kwargs)
        except Exception as exc:  # the student's arguments: their error, told back
            return {"error": f"{type(exc).__name__}: {exc}"[:2000]}, {}
        encoder = Encoder("r")
        return {"result": encoder.encode(result)}, encoder.arrays

    return answer
