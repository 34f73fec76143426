"""What the scripts in docs/examples share: where the site build wants their results.

Each script runs in build/docs/ (docs/hooks/generated.py): pictures go to figures/,
numbers that a page quotes go to numbers/SCRIPT.json, and what a script prints becomes
its output.
"""

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl

mpl.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 120,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
    }
)


def panels(rows: int, height: float = 2.8, **subplots: object):
    """A figure of ROWS panels stacked one per row, each 7 inches wide and HEIGHT
    tall, laid out by matplotlib's constrained layout.

    Pages show a figure at most about 900 px wide on a laptop and 370 px on a phone;
    at 7 inches (840 px at the saved dpi) a 10 pt label stays legible on both, where
    two or three panels side by side in 9 to 12 inches shrink their labels to a few
    pixels. Extra keyword arguments go to ``plt.subplots`` (``sharex=True`` ...).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        rows, 1, figsize=(7, height * rows), layout="constrained", **subplots
    )
    fig.get_layout_engine().set(h_pad=0.1)  # room between a legend and the next title
    return fig, axes


def save_figure(fig, name: str) -> None:
    """Write fig as figures/NAME.png, the path a page links to."""
    fig.savefig(Path("figures") / f"{name}.png", bbox_inches="tight", facecolor="white")


def record(**numbers: object) -> None:
    """Keep numbers for the page of the calling script: {{ SCRIPT.key }} shows
    str(value)."""
    script = Path(sys.argv[0]).stem
    path = Path("numbers") / f"{script}.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    known.update({key: str(value) for key, value in numbers.items()})
    path.write_text(json.dumps(known, indent=1))


def blas_threads() -> str:
    """How many threads the BLAS under NumPy runs with in this process, as set.

    threadpoolctl, when installed, asks the BLAS library itself; without it, the
    environment variables that set the count are read, and a BLAS left to its own
    default is said to be so.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            if os.environ.get(name):
                return f"BLAS threads set by {name}={os.environ[name]}"
        return "the BLAS's default number of threads"
    counts = sorted(
        {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
    )
    if not counts:
        return "no BLAS library found"
    return " or ".join(map(str, counts)) + (
        " BLAS thread" if counts == [1] else " BLAS threads"
    )


def cpu_label() -> str:
    """The processor a page's timings were taken on, and the BLAS threads they ran with.

    A page that quotes a time quotes processor time (``time.process_time``): the build
    runs two scripts at once and the machine may be busy, which lengthens wall-clock
    times but hardly the processor time a single-threaded NumPy loop needs. The build
    sets one BLAS thread per script (docs/hooks/generated.py); the label says what the
    BLAS actually runs with.
    """
    from minilstm.bench.machine import cpu_name

    return f"{cpu_name()}, {blas_threads()}"


def sci(value: float, digits: int = 1) -> str:
    """A number as the pages print it, with a short exponent: 0.000123 gives 1.2e-4."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@contextlib.contextmanager
def printed(name: str) -> Iterator[None]:
    """Send what the block inside prints to output/NAME.txt as well as to stdout, for a
    page whose every code block is followed by what that block prints. NAME is
    SCRIPT-SECTION, the script's name and its snippet section's."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    text = buffer.getvalue()
    Path("output").mkdir(exist_ok=True)  # a notebook runs in a folder without it
    (Path("output") / f"{name}.txt").write_text(text)
    sys.stdout.write(text)
