"""Self-checks a student runs without the answer key.

``init_workspace`` calls ``write_selfcheck``: each handed-out part's check runs once
with the library standing in for the student (a ``Recorder``, as in grading) but on
other inputs than the grader's (``Session.seed_shift``), and every call's inputs and the
library's outputs go into the workspace as ``selfcheck_data/<part>.json`` and ``.npz``
(no pickles). ``selfcheck.py``, a copy of ``selfcheck_script.py``, imports only NumPy
and the workspace's own ``minilstm``: it makes the same calls on the student's code and
prints the relative error of each output against the shipped one. When a call goes
wrong it names the likely mistake as the grader does: ``diagnosis.likely`` (the grader's
table) gives, for each recorded call, what each known mistake would have returned, and
that goes into the data too, so the script only has to compare.

``python -m minilstm.assignment check DIR`` runs that script with ``python -I -S`` and a
path holding the workspace and NumPy alone, so the installed minilstm (the answer key)
is out of its reach, as it is on a student's machine without minilstm.
"""

import contextlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minilstm.assignment import checks, diagnosis, mistakes
from minilstm.assignment.child import Encoder
from minilstm.assignment.parts import PARTS, Marked
from minilstm.assignment.sandbox import numpy_only_site
from minilstm.assignment.session import Handle, Recorder, Target

SCRIPT = "selfcheck.py"
DATA_DIR = "selfcheck_data"
TEMPLATE = Path(__file__).with_name("selfcheck_script.py")
# The self-check's seeds are the grader's plus this: same kinds of inputs, other values.
SEED_SHIFT = 1000

# The five gradients of a SimpleRNN or GRU step.
STEP_GRADS = ["dx", "dh_prev", "dkernel", "drecurrent_kernel", "dbias"]
# Names for the outputs of each function, as its docstring calls them (nested like the
# result); functions not listed here get their outputs numbered.
OUTPUT_NAMES: dict[str, object] = {
    "lstm_cell_forward": [["h", "c"], "cache"],
    "lstm_step_forward": [["h", "c"], "cache"],
    "lstm_cell_backward": ["dz", "dc_prev"],
    "lstm_step_backward": [
        "dx",
        "dh_prev",
        "dc_prev",
        "dkernel",
        "drecurrent_kernel",
        "dbias",
    ],
    "lstm_backward": ["dx", "dh0", "dc0", "dkernel", "drecurrent_kernel", "dbias"],
    "dense_backward": ["dx", "dkernel", "dbias"],
    "mse_backward": "dy_pred",
    "Seq2Seq.predict": "y",
    "rnn_step_forward": ["h", "cache"],
    "rnn_step_backward": STEP_GRADS,
    "gru_cell_forward": ["h", "cache"],
    "gru_step_forward": ["h", "cache"],
    "gru_cell_backward": ["da", "du", "dh_prev"],
    "gru_step_backward": STEP_GRADS,
    "softmax": "a",
    "dot_attention_forward": ["context", "cache"],
    "additive_attention_forward": ["context", "cache"],
    "softmax_backward": "ds",
    "dot_attention_backward": ["dquery", "dvalue"],
    "additive_attention_backward": ["dquery", "dvalue", "dscale"],
}
# What to call the changes a call makes to its arguments in place, by function: the
# self-check compares Adam's step, not the weights after it.
ARGUMENT_NAMES: dict[str, object] = {
    "Adam.update_step": ["change of grads", "step of variables"]
}


def change(after: object, before: object) -> object:
    """What a call changed in its arguments: after - before for each array, None for
    what is not an array."""
    if isinstance(after, np.ndarray) and isinstance(before, np.ndarray):
        return after - before
    if isinstance(after, list | tuple) and isinstance(before, list | tuple):
        return [change(a, b) for a, b in zip(after, before, strict=True)]
    return None


def _copy(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return [_copy(v) for v in value]
    return value


@contextlib.contextmanager
def tracing(codes: dict, used: set) -> Iterator[None]:
    """Add to ``used`` the part of every marked function that runs (``codes`` maps each
    one's code object to its part)."""

    def profile(frame, event, arg) -> None:
        if event == "call" and frame.f_code in codes:
            used.add(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)


def marked_codes(library: list[Marked]) -> dict:
    """The code object of every marked function of the library, with its part.

    Args:
        library: the library's marked functions (``workspace.library_markers()``).
    """
    codes = {}
    for marked in library:
        owner = importlib.import_module(f"minilstm.{marked.module.removesuffix('.py')}")
        for name in marked.qualname.split("."):
            owner = getattr(owner, name)
        codes[owner.__code__] = marked.part
    return codes


class ExpectEncoder(Encoder):
    """Encodes the library's results as the expected ones: arrays are copied (a later
    call may change them in place) and objects become their type's name."""

    def __init__(self, key: str, objects: dict) -> None:
        super().__init__(key)
        self.objects = objects

    def encode(self, value: object, depth: int = 0) -> object:
        """As ``Encoder.encode``; a Handle becomes the name of the library's object."""
        if isinstance(value, Handle):
            return {"object": type(self.objects[value.step]).__name__}
        if isinstance(value, np.ndarray):
            value = value.copy()
        return super().encode(value, depth)


class KeyRecorder(Recorder):
    """A ``Recorder`` on the self-check's inputs that also keeps what each call of the
    library returned (and, when asked, its arguments after the call)."""

    seed_shift = SEED_SHIFT

    def __init__(self, workspace: Path, library: list[Marked]) -> None:
        super().__init__(workspace)
        self.expected = ExpectEncoder("want", self.objects)
        self.codes, self.used = marked_codes(library), set()
        self.updates: dict[int, list] = {}  # an optimizer's calls: (grads, before)

    def call(self, label: str, target: Target, *args: Any, **kwargs: Any) -> Any:
        """As ``Recorder.call``, keeping the library's result in the step.

        Args:
            label: the function's name as the student knows it.
            target: the function.
            *args: its arguments.
            **kwargs: its keyword arguments (``record_args`` as for ``Session.call``).
        """
        record_args = kwargs.get("record_args", False)
        before = [_copy(self.real(a)) for a in args]
        with tracing(self.codes, self.used):
            result = super().call(label, target, *args, **kwargs)
        step = self.steps[-1]
        step["want"] = self.expected.encode(result)
        step["names"] = OUTPUT_NAMES.get(label, "result")
        if record_args:
            # The library's call changed the check's arrays in place, as the
            # student's must: what it changed is compared.
            step["want_args"] = self.expected.encode(change(list(args), before))
            step["arg_names"] = ARGUMENT_NAMES.get(label, "argument")
        step["blocks"] = diagnosis.BLOCKS.get(label, {})
        owner = self.objects.get(target.owner) if target.kind == "ref" else None
        earlier = None
        if label == "Adam.update_step":
            earlier = self.updates.setdefault(target.owner, [])
            earlier.append((before[0], before[1]))
        kwargs = {k: v for k, v in kwargs.items() if k != "record_args"}
        step["likely"] = [
            {
                "text": found.text,
                "want": self.expected.encode(found.result),
                "want_args": self.expected.encode(found.args),
            }
            for found in diagnosis.likely(label, before, kwargs, owner, earlier)
        ]
        return result


def record_part(
    workspace: Path, part: str, library: list[Marked]
) -> tuple[dict, dict[str, np.ndarray]]:
    """The calls of one part's self-check and their arrays (inputs and expected).

    Args:
        workspace: the workspace the check is recorded for.
        part: the part's name.
        library: the library's marked functions, to see which parts a call runs.
    """
    recorder = KeyRecorder(workspace, library)
    checks.CHECKS[part](recorder)
    spec = {
        "part": part,
        "title": PARTS[part].title,
        "steps": recorder.steps,
        # The other parts whose functions this part's calls run: the self-check runs
        # the student's code for them too.
        "uses": sorted(recorder.used - {part}),
        "transposed": mistakes.TRANSPOSED,
    }
    return spec, {**recorder.encoder.arrays, **recorder.expected.arrays}


def write_selfcheck(workspace: Path, parts: list[str], library: list[Marked]) -> None:
    """Write ``selfcheck.py`` and the data of each part's self-check into a workspace.

    Args:
        workspace: the new workspace.
        parts: the handed-out parts, in the library's order.
        library: the library's marked functions (``workspace.library_markers()``).
    """
    data = workspace / DATA_DIR
    data.mkdir()
    for part in parts:
        spec, arrays = record_part(workspace, part, library)
        (data / f"{part}.json").write_text(json.dumps(spec) + "\n")
        np.savez_compressed(data / f"{part}.npz", **arrays)
    (data / "parts.json").write_text(json.dumps(parts) + "\n")
    shutil.copyfile(TEMPLATE, workspace / SCRIPT)


def selfcheck_parts(workspace: Path) -> list[str]:
    """The parts a workspace has self-check data for, listed by ``write_selfcheck``.

    Raises:
        ValueError: the list is missing or damaged; the message names its file.
    """
    listing = workspace / DATA_DIR / "parts.json"
    try:
        parts = json.loads(listing.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {listing}: {exc}") from None
    if not (isinstance(parts, list) and all(isinstance(p, str) for p in parts)):
        raise ValueError(f"{listing} is not a list of part names")
    return parts


def run_selfcheck(
    workspace: str | Path,
    parts: list[str] | None = None,
    timeout: float | None = None,
    capture: bool = True,
) -> subprocess.CompletedProcess:
    """Run a workspace's ``selfcheck.py`` with only the workspace and NumPy importable.

    Args:
        workspace: a folder made by ``init_workspace``.
        parts: the parts to check (None: every part the workspace has data for).
        timeout: seconds before the check is stopped (None: no limit).
        capture: keep the output in the result (else it goes to this process's).

    Returns:
        the finished process, its output as text when captured.

    Raises:
        FileNotFoundError: the workspace has no self-check.
        ValueError: a part the workspace has no self-check for (checked here, so that
            the refusal is one line like the kit's others, not the script's usage).
    """
    workspace = Path(workspace).resolve()
    script = workspace / SCRIPT
    if not script.exists():
        raise FileNotFoundError(f"{workspace} has no {SCRIPT}")
    handed_out = selfcheck_parts(workspace)
    unknown = [p for p in parts or [] if p not in handed_out]
    if unknown:
        raise ValueError(
            f"{workspace} has no self-check for {unknown[0]!r}: "
            f"choose from {', '.join(handed_out)}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        numpy_only_site(Path(tmp))
        # -I -S: neither the environment nor site-packages (where the installed
        # minilstm would be) reach the path; the script adds its folder, then NumPy's.
        command = [sys.executable, "-I", "-S", "-B", str(script)]
        command += ["--path", str(Path(tmp) / "site"), *(parts or [])]
        return subprocess.run(
            command,
            cwd=workspace,
            capture_output=capture,
            text=True,
            timeout=timeout,
            env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"},
        )
