"""The teachers' page: a marked function, its stub, and a real grading report.

The graded workspace hands out four parts; its code has the forget gate's gradient taken
with c_t, Adam without its bias correction, decoding not yet written, and the rest
right. Each piece is printed between snippet markers, for the page to include by
section.
"""

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _site import record

from minilstm.assignment import init_workspace
from minilstm.assignment.workspace import PACKAGE_DIR, replace_body, stub_body

FORGET_GATE_USES_C_T = """
c_prev, i, f, g, o, tanh_c = cache
dc = dc_next + dh * o * (1 - tanh_c**2)
c = f * c_prev + i * g
df = dc * c
dz = np.concatenate(
    [
        dc * g * i * (1 - i),
        df * f * (1 - f),
        dc * i * (1 - g**2),
        dh * tanh_c * o * (1 - o),
    ],
    axis=1,
)
return dz, dc * f
"""
ADAM_WITHOUT_BIAS_CORRECTION = """
m, v = slots["m"], slots["v"]
m += (gradient - m) * (1 - self.beta_1)
v += (gradient**2 - v) * (1 - self.beta_2)
variable -= lr * m / (np.sqrt(v) + self.epsilon)
"""


def section(name: str, text: str) -> None:
    """Print text between the markers of a snippet section."""
    print(f"--8<-- [start:{name}]\n{text.rstrip()}\n--8<-- [end:{name}]")


def function_source(path: Path, name: str) -> str:
    """The source of the module-level function ``name`` in a file."""
    source = path.read_text()
    (function,) = [
        f
        for f in ast.parse(source).body
        if isinstance(f, ast.FunctionDef) and f.name == name
    ]
    return ast.get_source_segment(source, function)


# The library's marker and signature, down to the docstring.
lines = (PACKAGE_DIR / "lstm.py").read_text().splitlines()
start = lines.index("# assignment: bptt")
end = next(k for k in range(start, len(lines)) if lines[k].lstrip().startswith('"""'))
section("library_marker", "\n".join(lines[start:end]))

with tempfile.TemporaryDirectory() as tmp:
    stubbed = init_workspace(Path(tmp) / "hw3", parts=["bptt"])
    section("stub", function_source(stubbed / "minilstm" / "lstm.py", "lstm_backward"))

    alice = init_workspace(
        Path(tmp) / "alice",
        parts=["lstm_step_backward", "bptt", "adam", "predict"],
        solution=True,
    )
    for module, qualname, body in [
        ("lstm.py", "lstm_cell_backward", FORGET_GATE_USES_C_T),
        ("optimizers.py", "Adam.update_step", ADAM_WITHOUT_BIAS_CORRECTION),
    ]:
        path = alice / "minilstm" / module
        path.write_text(replace_body(path.read_text(), qualname, body))
    path = alice / "minilstm" / "seq2seq.py"  # predict: back to the stub handed out
    path.write_text(
        replace_body(
            path.read_text(), "Seq2Seq.predict", stub_body("predict", "Seq2Seq.predict")
        )
    )
    # The teacher's copy of the manifest, kept before the workspace was handed out.
    shutil.copy(alice / "assignment.json", Path(tmp) / "alice-teacher.json")
    command = ["-m", "minilstm.assignment", "grade", "alice"]
    command += ["--config", "alice-teacher.json", "--json", "alice.json"]
    report = subprocess.run(
        [sys.executable, *command], cwd=tmp, capture_output=True, text=True, check=True
    ).stdout
    section("report", f"$ python {' '.join(command)}\n{report}")
    section("json", (Path(tmp) / "alice.json").read_text())
    graded = json.loads((Path(tmp) / "alice.json").read_text())
    record(
        score=graded["score"], out_of=sum(test["max_score"] for test in graded["tests"])
    )
