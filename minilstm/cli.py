"""Command-line plumbing shared by minilstm's commands (``python -m minilstm.demo``,
``python -m minilstm.bench``): a bad argument ends in exit status 2 and one line on
stderr, never a traceback.

    parser = ArgumentParser(prog="python -m minilstm.demo")
    parser.add_argument("--epochs", type=positive_int)
    parser.add_argument("--out", type=folder_to_write)
    ...
    if __name__ == "__main__":
        sys.exit(run(main, "python -m minilstm.demo"))

The argparse types check each value as it is parsed; ``run`` catches what the library
raises later about a value that parsed but does not fit (a window longer than the curve,
a damaged model file, a folder that cannot be written) and reports it the same way.
``available_memory`` tells a command whether the sizes it was given can fit at all.
"""

import argparse
import contextlib
import decimal
import os
import resource
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


def folder_to_write(text: str) -> Path:
    """argparse type: a folder the command writes into later, which may not exist yet.

    Checked by making the folders missing on the way and writing a file into the last,
    since permissions alone do not tell (a read-only disk, or running as root); then
    everything made is removed again, so a command refused later leaves nothing behind.
    Whoever writes into the folder creates it (``Path.mkdir(parents=True)``).
    """
    folder = Path(text)
    made: list[Path] = []
    try:
        for path in [*reversed(folder.parents), folder]:
            if not path.is_dir():
                path.mkdir()
                made.append(path)
        probe = folder / f".minilstm-write-test-{uuid.uuid4().hex}"
        probe.touch()
        probe.unlink()
    except FileExistsError as error:
        raise argparse.ArgumentTypeError(
            f"cannot write to folder {text!r}: {error.filename} is not a folder"
        ) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise argparse.ArgumentTypeError(
            f"cannot write to folder {text!r}: {reason}"
        ) from None
    finally:
        for path in reversed(made):
            with contextlib.suppress(OSError):
                path.rmdir()
    return folder


def file_to_write(text: str) -> Path:
    """argparse type: a file the command writes later, in a folder that exists.

    Checked by writing a scratch file into that folder and removing it, so that a
    command cannot do all its work and then fail to save the result.
    """
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    folder = path.parent
    if not folder.is_dir():
        where = str(folder)
        reason = (
            f"{where!r} is not a folder"
            if folder.exists()
            else f"there is no folder {where!r}"
        )
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {reason}")
    probe = folder / f".minilstm-write-test-{uuid.uuid4().hex}"
    try:
        probe.touch()
        probe.unlink()
    except OSError as error:
        reason = error.strerror or str(error)
        raise argparse.ArgumentTypeError(f"cannot write {text!r}: {reason}") from None
    return path


def available_memory() -> int | None:
    """Bytes this process could still allocate, as far as the system tells.

    Linux's estimate of the memory available without swapping (``MemAvailable`` in
    /proc/meminfo), else the physical memory; lowered to the process's address-space
    limit (``ulimit -v``) when one is set.

    Returns:
        the bytes, or None where the system tells neither.
    """
    limits = []
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)  # given in kB
    except (OSError, ValueError, IndexError):
        pass
    if not limits:
        try:
            limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    return min(limits) if limits else None


def format_bytes(size: int) -> str:
    """A byte count for people: "512 B", "3.4 MB", "298.0 GB" (powers of 1024).

    Args:
        size: the bytes, >= 0 (any Python int, also one too large for a float).
    """
    units = ("B", "KB", "MB", "GB", "TB", "PB")
    power = 0
    while power < len(units) - 1 and size >= 1024 ** (power + 1):
        power += 1
    if power == 0:
        return f"{size} B"
    # Decimal: a size from a huge command-line number overflows a float.
    value = decimal.Decimal(size) / 1024**power
    shown = f"{value:.1f}" if value < 10_000 else f"{value:.2E}"
    return f"{shown} {units[power]}"


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
