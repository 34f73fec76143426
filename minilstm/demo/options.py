"""The demo's command line: its options, and the checks that turn a bad one away.

A bad argument ends the program before any training, with one line on stderr and exit
status 2 (``minilstm.cli``). ``parse_args`` merges the chosen recipe with the options
given into one ``Settings``.
"""

import argparse
import dataclasses
import importlib.util
from collections.abc import Sequence
from pathlib import Path

from minilstm import article, optimizers
from minilstm.cli import (
    ArgumentParser,
    non_negative_int,
    positive_float,
    positive_int,
    writable_folder,
)
from minilstm.data import TASKS
from minilstm.demo.recipes import RECIPES

PROG = "python -m minilstm.demo"
# The options that override a field of the recipe's Settings, by the same name.
SETTINGS_OPTIONS = (
    "epochs",
    "units",
    "window",
    "batch_size",
    "optimizer",
    "learning_rate",
    "seed",
    "cell",
    "attention",
)


def build_parser() -> ArgumentParser:
    """The command line of ``python -m minilstm.demo``.

    Returns:
        the parser, its help naming the article's value of every setting.
    """
    parser = ArgumentParser(
        prog=PROG,
        description="Train the article's LSTM encoder-decoder on its three tasks, "
        "print a summary table and write the pictures.",
    )
    add = parser.add_argument
    add(
        "--task",
        nargs="+",
        default=["all"],
        metavar="TASK",
        help=f"tasks to run: {', '.join(TASKS)} or all (default all)",
    )
    add(
        "--recipe",
        choices=sorted(RECIPES),
        default="article",
        help="preset settings: article (default), or tuned: autoregressive MSE <= 1e-5",
    )
    add(
        "--cell",
        choices=["lstm", "gru", "rnn"],
        help="the recurrent layers: lstm (article), gru or rnn (SimpleRNN)",
    )
    add(
        "--attention",
        choices=["dot", "additive"],
        help="the decoder also attends over the encoder's outputs: dot (Keras's "
        "Attention) or additive (AdditiveAttention); article: none",
    )
    add(
        "--epochs",
        type=positive_int,
        help=f"epochs to train (article: {article.EPOCHS})",
    )
    add(
        "--units",
        type=positive_int,
        help=f"units of each LSTM (article: {article.UNITS})",
    )
    add(
        "--window",
        type=positive_int,
        help=f"window length, below {article.NUM_POINTS} (article: {article.WINDOW})",
    )
    add(
        "--batch-size",
        type=positive_int,
        help=f"windows per gradient step (article: {article.BATCH_SIZE})",
    )
    add(
        "--optimizer",
        choices=sorted(optimizers.OPTIMIZERS),
        help=f"optimizer (article: {article.OPTIMIZER})",
    )
    add(
        "--learning-rate",
        type=positive_float,
        help="(initial) learning rate (default: the optimizer's; tuned: 5e-3)",
    )
    add(
        "--seed",
        type=non_negative_int,
        help="seed of the initial weights and the shuffling (default 0)",
    )
    add(
        "--out",
        type=writable_folder,
        metavar="DIR",
        default=Path("demo_output"),
        help="folder for the PNG pictures, created if missing (default demo_output)",
    )
    add(
        "--quiet",
        action="store_true",
        help="no per-epoch lines, only the table and the files",
    )
    add("--show", action="store_true", help="also open the pictures in windows")
    add(
        "--save",
        type=Path,
        metavar="PATH",
        help="save the trained models: PATH.npz (one task) or a folder of TASK.npz",
    )
    add(
        "--load",
        type=Path,
        metavar="PATH",
        help="evaluate saved models instead of training "
        "(a file or a folder, as --save)",
    )
    add(
        "--compare-keras",
        action="store_true",
        help="also train the Keras reference from the same initial weights "
        "(needs TensorFlow)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; a bad argument exits with status 2.

    Args:
        argv: the arguments, without the program name (default ``sys.argv[1:]``).

    Returns:
        the options; ``task`` is the list of task names, ``settings`` the ``Settings``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    names = [n for item in args.task for n in item.replace(",", " ").split()]
    if not names or "all" in names:
        names = list(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        parser.error(
            f"unknown task {unknown[0]!r}: choose from {', '.join(TASKS)} or all"
        )
    args.task = list(dict.fromkeys(names))
    overrides = {
        k: getattr(args, k) for k in SETTINGS_OPTIONS if getattr(args, k) is not None
    }
    args.settings = dataclasses.replace(RECIPES[args.recipe], **overrides)
    if args.settings.window >= article.NUM_POINTS:
        parser.error(
            f"--window {args.settings.window} is too long: the curves have "
            f"{article.NUM_POINTS} points, so the window must be at most "
            f"{article.NUM_POINTS - 1}"
        )
    if args.save and args.load:
        parser.error("--save and --load exclude each other")
    for option, path in (("--save", args.save), ("--load", args.load)):
        if path is not None and path.suffix == ".npz" and len(args.task) > 1:
            parser.error(
                f"{option} {path}: a single .npz file holds one task; give a folder"
            )
    if args.load is not None:
        missing = [
            str(p) for p in model_paths(args.load, args.task).values() if not p.exists()
        ]
        if missing:
            parser.error(f"--load: no saved model at {missing[0]}")
    if args.compare_keras:
        needed = [
            m
            for m in ("tensorflow", "keras", "reference_keras")
            if not module_exists(m)
        ]
        if needed:
            parser.error(
                f"--compare-keras needs {' and '.join(needed)}: "
                "pip install -e '.[keras]' in a clone of minilstm"
            )
    if args.save is not None:
        try:
            writable_folder(
                str(args.save.parent if args.save.suffix == ".npz" else args.save)
            )
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --save: {error}")
    return args


def module_exists(name: str) -> bool:
    """Whether a module can be imported, without importing it.

    Args:
        name: the module's name, e.g. "tensorflow".

    Returns:
        True if Python finds the module.
    """
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def model_paths(path: Path, tasks: Sequence[str]) -> dict[str, Path]:
    """The file of each task's model, for ``--save`` and ``--load``.

    Args:
        path: a .npz file (one task) or a folder.
        tasks: the tasks' names.

    Returns:
        ``path`` itself if it is a .npz file, else ``path/<task>.npz``, by task.
    """
    if path.suffix == ".npz":
        return {tasks[0]: path}
    return {task: path / f"{task}.npz" for task in tasks}
