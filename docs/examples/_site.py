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
    from minilstm.bench import cpu_name

    return f"{cpu_name()}, one BLAS thread"


def sci(value: float, digits: int = 1) -> str:
    """A number as the pages print it, with a short exponent: 0.000123 gives 1.2e-4."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"
