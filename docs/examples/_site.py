"""What the scripts in docs/examples share: where the site build wants their results.

Each script runs in build/docs/ (docs/hooks/generated.py): pictures go to figures/,
numbers that a page quotes go to numbers/SCRIPT.json, and what a script prints becomes
its output.
"""

import json
import sys
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


def cpu_label() -> str:
    """The processor a page's timings were taken on, and how the build ran the script.

    A page that quotes a time quotes processor time (``time.process_time``): the build
    runs two scripts at once and the machine may be busy, which lengthens wall-clock
    times but hardly the processor time a single-threaded NumPy loop needs.
    """
    from minilstm.bench.machine import cpu_name

    return f"{cpu_name()}, one BLAS thread"


def sci(value: float, digits: int = 1) -> str:
    """A number as the pages print it, with a short exponent: 0.000123 gives 1.2e-4."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"
