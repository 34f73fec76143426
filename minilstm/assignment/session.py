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
import json
import signal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from minilstm.assignment.child import Encoder
from minilstm.assignment.compare import PartFailed, describe_error
from minilstm.assignment.sandbox import ChildRun, Limits

MODULES = ("lstm", "dense", "losses", "optimizers", "seq2seq", "simple_rnn", "gru")


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
    # (``selfcheck``) are drawn like the grader's but differ from them.
    seed_shift = 0

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

    def write(self, run_dir: Path, workspace: Path, isolate: list[dict]) -> None:
        """The plan and the inputs for ``child.py``."""
        plan = {
            "workspace": str(workspace),
            "modules": MODULES,
            "isolate": isolate,
            "steps": self.steps,
        }
        (run_dir / "plan.json").write_text(json.dumps(plan))
        np.savez(run_dir / "inputs.npz", **self.encoder.arrays)
        (run_dir / "out").mkdir()


class Replayer(Session):
    """The second run: each call returns what the student's code gave in the child."""

    def __init__(
        self, workspace: Path, run_dir: Path, steps: list, run: ChildRun, limits: Limits
    ) -> None:
        super().__init__(workspace)
        self.out, self.steps, self.run, self.limits = (
            run_dir / "out",
            steps,
            run,
            limits,
        )
        self.next = 0

    def read(self, key: str) -> tuple[dict, dict] | None:
        """The record the child wrote for ``key`` and its arrays, or None."""
        try:
            record = json.loads((self.out / f"{key}.json").read_text())
            with np.load(self.out / f"{key}.npz", allow_pickle=False) as data:
                return record, dict(data)
        except (OSError, ValueError):
            return None

    def outcome(self, label: str, key: str) -> tuple[dict, dict]:
        """The child's record for ``key``, or ``PartFailed`` saying how it ended."""
        found = self.read(key)
        if found is None:
            raise PartFailed(self.ended(label))
        record, arrays = found
        if "error" in record:
            raise PartFailed(describe_error(label, record["error"], self.limits))
        return record, arrays

    def ended(self, label: str) -> str:
        """Why the process stopped during ``label``, in the student's terms."""
        run = self.run
        if run.timed_out:
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
            for arg, after in zip(
                args, decode(record["args"], arrays, k), strict=False
            ):
                if isinstance(arg, list) and isinstance(after, list):
                    arg[:] = after
        return decode(record["result"], arrays, k)


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
