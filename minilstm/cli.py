"""Command-line plumbing shared by minilstm's commands (``python -m minilstm.demo``,
``python -m minilstm.bench``): a bad argument ends in exit status 2 and one line on
stderr, never a traceback.

    parser = ArgumentParser(prog="python -m minilstm.demo")
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--out", type=writable_folder)
    ...
    if __name__ == "__main__":
        sys.exit(run(main, "python -m minilstm.demo"))

The argparse types check each value as it is parsed; ``run`` catches what the library
raises later about a value that parsed but does not fit (a window longer than the curve,
a damaged model file, a folder that cannot be written) and reports it the same way.
"""

import argparse
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from minilstm.divergence import TrainingDivergedError


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad argument gets one line on stderr (and exit status 2) instead
    of the usage text followed by the error."""

    def error(self, message: str) -> NoReturn:
        """Exit with status 2 after ``message`` and a pointer to --help, on one line."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return _number(text, int, 1, "an integer >= 1")


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (a seed, a count that may be zero)."""
    return _number(text, int, 0, "an integer >= 0")


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0 (a learning rate, a clipnorm)."""
    return _number(text, float, 0.0, "a finite number > 0", strict=True)


def _number(text: str, kind: type, low: float, expected: str, strict: bool = False):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text!r}") from None
    if not (low < value if strict else low <= value) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be {expected}; got {text!r}")
    return value


def writable_folder(text: str) -> Path:
    """argparse type: a folder to write into, created if missing. Tried by writing a
    file, since permissions alone do not tell (a read-only disk, or running as root)."""
    folder = Path(text)
    probe = folder / f".minilstm-write-test-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise argparse.ArgumentTypeError(
            f"cannot write to folder {text!r}: {reason}"
        ) from None
    return folder


def run(main: Callable[[], object], prog: str) -> int:
    """Call ``main()`` and return the command's exit status.

    0 when it returns; 2 with one line on stderr for a ``ValueError`` or ``TypeError``
    (an argument the library refused) or an ``OSError`` (a file or folder it could not
    use); 1 for a training that diverged; 130 when interrupted with Ctrl-C. Any other
    exception is a bug and keeps its traceback.
    """
    try:
        main()
    except TrainingDivergedError as error:
        return _fail(prog, error, 1)
    except (ValueError, TypeError) as error:
        return _fail(prog, error, 2)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        return _fail(prog, f"{where}{error.strerror or error}", 2)
    except KeyboardInterrupt:
        return _fail(prog, "interrupted", 130)
    return 0


def _fail(prog: str, message: object, status: int) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    return status
