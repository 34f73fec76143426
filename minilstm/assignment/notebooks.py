"""One Jupyter notebook per handed-out part: ``init DIR --notebooks``.

Each ``DIR/notebooks/<part>.ipynb`` holds three cells: markdown with the part's title,
the functions to write and the module file that holds them, the idea and its key
equations, and a link to the site's page; the signature and docstring of each function,
read from the workspace's source when it is made (the student edits the ``.py`` file,
not the notebook); and a cell that runs the workspace's self-check on the part, which
raises ``SelfCheckFailed`` (and so stops a top-to-bottom run) unless the part passes.

One notebook per part rather than one per assignment: a run stops at the first cell
that raises, so in one notebook a stubbed part would hide every later part's report.
"""

from pathlib import Path
from typing import NamedTuple

from minilstm.assignment.parts import PARTS
from minilstm.assignment.workspace import Marked, function_source, replace_body

NOTEBOOK_DIR = "notebooks"
# Where the notebooks' links lead by default: the student edition of the site built
# into the workspace's site/ folder (``site --workspace DIR --out DIR/site``).
SITE = "../site"


class Idea(NamedTuple):
    """What a part's notebook says about it: the docs page and the idea."""

    page: str  # the docs page's file, under docs/
    text: str  # markdown, with the key equations in $...$ and $$...$$
    backward: bool = False  # the part computes gradients


_LSTM_GATES = r"""
$$z = x_t W + h_{t-1} U + b,\quad
i = \sigma(z_i),\ f = \sigma(z_f),\ g = \tanh(z_g),\ o = \sigma(z_o),$$
$$c_t = f \odot c_{t-1} + i \odot g,\qquad h_t = o \odot \tanh(c_t).$$
"""

IDEAS: dict[str, Idea] = {
    "lstm_step_forward": Idea(
        "lstm-cell.md",
        "One LSTM step: an affine map of the input and the previous hidden state gives "
        "the four gate blocks (Keras order i, f, c, o); the gates decide what the cell "
        "state keeps, what it takes in and what it shows:" + _LSTM_GATES,
    ),
    "lstm_step_backward": Idea(
        "bptt.md",
        "The forward step walked backwards. The cell state gets gradient from $h_t$ "
        "and from the next step; each gate's gradient is multiplied by its "
        "activation's derivative, written with the gate's output "
        r"($\sigma' = s(1-s)$, $\tanh' = 1 - t^2$):"
        r"""
$$\delta c_t = \delta c^{\text{next}} + \delta h_t \odot o \odot (1 - \tanh^2 c_t),
\quad \delta c_{t-1} = \delta c_t \odot f,$$
$$\delta i = \delta c_t \odot g,\ \delta f = \delta c_t \odot c_{t-1},\
\delta g = \delta c_t \odot i,\ \delta o = \delta h_t \odot \tanh c_t,$$
$$\delta x = \delta z\, W^\top,\ \delta h_{t-1} = \delta z\, U^\top,\
\delta W = x^\top \delta z,\ \delta U = h_{t-1}^\top \delta z,\
\delta b = \textstyle\sum_n \delta z.$$
""",
        backward=True,
    ),
    "bptt": Idea(
        "bptt.md",
        "Backpropagation through time: go over the steps from last to first. The "
        "hidden state at step $t$ gets the gradient of its own output and the one "
        "carried back from step $t+1$; the weights are shared by every step, so "
        "their gradients add up:"
        r"""
$$\delta h_t = \delta y_t + \delta h_t^{\text{next}},\qquad
\delta W = \sum_t x_t^\top \delta z_t,\quad \delta U = \sum_t h_{t-1}^\top \delta z_t.$$
""",
        backward=True,
    ),
    "dense_backward": Idea(
        "dense-mse.md",
        "The Dense layer $\\hat y = h V + d$ (`kernel` $V$, `bias` $d$) acts on the "
        "last axis of an (N, T, H) input, with one $V$ for every step, so its weight "
        "gradients sum over batch and time:"
        r"""
$$\delta h = \delta \hat y\, V^\top,\qquad
\delta V = \sum_{n,t} h_{n,t}^\top \delta \hat y_{n,t},\qquad
\delta d = \sum_{n,t} \delta \hat y_{n,t}.$$
""",
        backward=True,
    ),
    "mse_backward": Idea(
        "dense-mse.md",
        "The loss is the mean of the squared errors over all $NTO$ elements, so each "
        "element's gradient carries the $1/(NTO)$:"
        r"""
$$L = \frac{1}{NTO}\sum_{n,t,k} (\hat y_{n,t,k} - y_{n,t,k})^2,\qquad
\delta \hat y = \frac{2}{NTO}(\hat y - y).$$
""",
        backward=True,
    ),
    "adam": Idea(
        "optimizers.md",
        "Adam keeps running means of the gradient and of its square and steps by "
        "their ratio, with the bias correction folded into the step size "
        "($t$ counts from 1):"
        r"""
$$m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
v \leftarrow \beta_2 v + (1-\beta_2) g^2,$$
$$\alpha_t = \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t},\qquad
\theta \leftarrow \theta - \alpha_t\,\frac{m}{\sqrt v + \epsilon}.$$
""",
    ),
    "predict": Idea(
        "inference.md",
        "Autoregressive decoding: the encoder runs over the $T$ steps of the window "
        "from zero states, and its final states start the decoder, whose first input "
        "is zero; each step's prediction is fed back as the next step's input. For "
        "the LSTM (the states are $h$ alone for a GRU or a SimpleRNN model):"
        r"""
$$(h^d_0, c^d_0) = (h^e_T, c^e_T),\qquad \hat y_0 = 0,$$
$$(h^d_t, c^d_t) = \mathrm{LSTM}_d(\hat y_{t-1}, h^d_{t-1}, c^d_{t-1}),\qquad
\hat y_t = h^d_t V + d,\qquad t = 1, \dots, T.$$
""",
    ),
    "rnn_step_forward": Idea(
        "why-gates.md",
        "A SimpleRNN step has no gates: one affine map and a tanh.\n\n"
        r"$$h_t = \tanh(x_t W + h_{t-1} U + b).$$",
    ),
    "rnn_step_backward": Idea(
        "why-gates.md",
        "The SimpleRNN step backwards, with $\\tanh'$ written from the cached output:"
        r"""
$$\delta z = \delta h_t \odot (1 - h_t^2),\quad \delta x = \delta z\, W^\top,\quad
\delta h_{t-1} = \delta z\, U^\top,\quad \delta W = x^\top \delta z.$$
""",
        backward=True,
    ),
    "gru_step_forward": Idea(
        "why-gates.md",
        "A GRU step (Keras's reset-after form): the update gate $z$ mixes the old "
        "state with a candidate, whose recurrent part the reset gate $r$ scales:"
        r"""
$$z = \sigma(a_z + u_z),\quad r = \sigma(a_r + u_r),\quad
\tilde h = \tanh(a_h + r \odot u_h),$$
$$h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h,\qquad
a = x W + b,\ u = h_{t-1} U + b'.$$
""",
    ),
    "gru_step_backward": Idea(
        "why-gates.md",
        "The GRU step backwards: $h_t = z h_{t-1} + (1-z)\\tilde h$ gives "
        "$\\delta z$, $\\delta\\tilde h$ and the direct part of $\\delta h_{t-1}$; "
        "the candidate gives $\\delta a_h$, $\\delta r$ and "
        "$\\delta u_h = \\delta a_h \\odot r$:"
        r"""
$$\delta a_h = \delta\tilde h \odot (1 - \tilde h^2),\quad
\delta a_z = \delta z \odot z(1-z),\quad
\delta h_{t-1} = \delta h_t \odot z + \delta u\, U^\top.$$
""",
        backward=True,
    ),
    "attention_forward": Idea(
        "attention.md",
        "Attention: each query step $q_t$ scores every value step $v_j$, a softmax "
        "over the value steps turns the scores into weights that sum to 1, and the "
        "context is the weighted mean of the value steps. The dot score has no "
        "weights; the additive one weighs each feature's tanh with `scale`:"
        r"""
$$a_{tj} = \frac{e^{s_{tj}}}{\sum_i e^{s_{ti}}},\qquad
\mathit{ctx}_t = \sum_j a_{tj}\, v_j,$$
$$s_{tj} = q_t \cdot v_j\ \text{(dot)},\qquad
s_{tj} = \sum_k \text{scale}_k \tanh(q_{tk} + v_{jk})\ \text{(additive)}.$$
""",
    ),
    "attention_backward": Idea(
        "attention.md",
        "The three lines in reverse. The weighted mean gives $\\delta a$ and a first "
        "share of $\\delta v$; every weight of a row shares the softmax's "
        "denominator, so a score's gradient has a cross term; the dot score gives "
        "$\\delta q$ and a second share of $\\delta v$ (the value is the key too), "
        "the additive score sums its gradients over every pair of steps:"
        r"""
$$\delta a = \delta \mathit{ctx}\, v^\top,\quad
\delta v = a^\top \delta \mathit{ctx},\quad
\delta s_i = a_i \Bigl(\delta a_i - \sum_j a_j\, \delta a_j\Bigr),$$
$$\delta q = \delta s\, v,\ \delta v \mathrel{+}= \delta s^\top q\ \text{(dot)},
\qquad \delta \text{scale}_k = \sum_{n,t,j} \delta s_{tj} \tanh(q_{tk} + v_{jk})
\ \text{(additive)}.$$
""",
        backward=True,
    ),
}

CHECK_CELL = """\
# Runs your code in ../minilstm on the inputs in ../selfcheck_data and compares each
# output with the reference's. Edit the .py file, then run this cell again.
import sys
from pathlib import Path

# The notebook runs in DIR/notebooks (or in DIR itself): find the workspace.
workspace = next(
    p for p in [Path.cwd(), *Path.cwd().parents] if (p / "selfcheck.py").exists()
)
if str(workspace) not in sys.path[:1]:
    sys.path.insert(0, str(workspace))
# Forget modules imported by an earlier run, so that your latest edits are checked.
for name in [n for n in sys.modules if n.split(".")[0] in ("minilstm", "selfcheck")]:
    del sys.modules[name]
import selfcheck

selfcheck.check("{part}")
"""


def signature_text(source: str, qualname: str, module: str) -> str:
    """A function's signature and docstring, with ``...`` as its body.

    Args:
        source: the module's source in the workspace (stubbed or not).
        qualname: the function's qualified name, e.g. ``Adam.update_step``.
        module: the module's file name, named in the body's comment.
    """
    body = f"...  # write the body in minilstm/{module}, not here"
    return function_source(replace_body(source, qualname, body), qualname)


def page_link(page: str, site: str) -> str:
    """The address of a docs page in the built site (which links to page.html).

    Args:
        page: the page's file under docs/, e.g. "bptt.md".
        site: the site's address, or its folder relative to the notebook.
    """
    return f"{site.rstrip('/')}/{page.removesuffix('.md')}.html"


def part_markdown(part: str, marked: list[Marked], site: str = SITE) -> str:
    """The notebook's first cell: what to write, where, the idea and the docs page.

    Args:
        part: the part's name.
        marked: the part's functions.
        site: where the site is, as for ``write_notebooks``.
    """
    idea = IDEAS[part]
    functions = "\n".join(f"- `{m.qualname}` in `minilstm/{m.module}`" for m in marked)
    lines = [
        f"# {PARTS[part].title} (`{part}`)",
        "",
        "Write the body of:",
        "",
        functions,
        "",
        "Edit the `.py` file in the workspace's `minilstm` folder, not this notebook; "
        "then run the check below (it reloads your code).",
        "",
        "## The idea",
        "",
        idea.text.strip(),
        "",
        f"More on [the site's page]({page_link(idea.page, site)}) "
        f"(`{idea.page.removesuffix('.md')}.html`).",
        "",
        "## The check",
        "",
        "The last cell runs your functions on the inputs shipped in `selfcheck_data/` "
        "and prints each output's relative error against the reference's outputs "
        "stored there; your error should be below 1e-8 (correct code gives about "
        "1e-15). It raises `SelfCheckFailed` unless the part passes.",
    ]
    if idea.backward:
        lines.append(
            "\nThis part computes gradients, and the check compares every gradient "
            "you return with the reference's: each relative error must be below 1e-8. "
            "The grader also checks them against central differences."
        )
    return "\n".join(lines) + "\n"


def write_notebooks(
    directory: Path, parts: list[str], marked: list[Marked], site: str = SITE
) -> None:
    """Write ``notebooks/<part>.ipynb`` for each part into a workspace.

    Args:
        directory: the workspace, its ``minilstm`` package and self-check written.
        parts: the handed-out parts.
        marked: every marked function of the library.
        site: the address of the site the notebooks link to (its pages are
            ``<site>/<page>.html``), or its folder relative to the notebooks' folder.

    Raises:
        ModuleNotFoundError: nbformat is not installed.
    """
    # Imported here: nbformat is needed for --notebooks only, not by minilstm itself.
    try:
        import nbformat
        from nbformat import v4
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "--notebooks needs nbformat: pip install nbformat"
        ) from exc
    out = directory / NOTEBOOK_DIR
    out.mkdir()
    for part in parts:
        functions = [m for m in marked if m.part == part]
        signatures = "\n\n".join(
            signature_text(
                (directory / "minilstm" / m.module).read_text(), m.qualname, m.module
            )
            for m in functions
        )
        notebook = v4.new_notebook(
            cells=[
                v4.new_markdown_cell(part_markdown(part, functions, site)),
                v4.new_code_cell(
                    "# What you write, as the workspace's source has it (read only).\n"
                    "# The future import leaves the annotations, which name the\n"
                    "# module's own types, unevaluated.\n"
                    "from __future__ import annotations\n\n" + signatures.rstrip()
                ),
                v4.new_code_cell(CHECK_CELL.format(part=part).rstrip()),
            ],
            metadata={
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3",
                    "language": "python",
                }
            },
        )
        nbformat.validate(notebook)
        nbformat.write(notebook, out / f"{part}.ipynb")
