"""The demo's command line: its options, and the checks that turn a bad one away.

A bad argument ends the program before any training or any file, with one line on
stderr and exit status 2 (``minilstm.cli``). ``parse_args`` merges the chosen recipe
with the options given into one ``Settings``, and refuses sizes whose run could not fit
in this machine's memory (``memory_needed``).
"""

import argparse
import dataclasses
import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minilstm import article, cli, optimizers, schedules
from minilstm.cli import (
    ArgumentParser,
    folder_to_write,
    format_bytes,
    non_negative_int,
    positive_float,
    positive_int,
)
from minilstm.data import TASKS, load_task
from minilstm.demo.recipes import RECIPES, Settings, make_optimizer
from minilstm.seq2seq import Seq2Seq

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
    "teacher_forcing",
    "attention",
)
# Memory a run needs, measured with tracemalloc over one epoch of run_task (NumPy's
# arrays only, so the estimate stays below what the process really takes):
# - at the optimizer's step, arrays of the size of all the weights: the weights, their
#   gradients, the copy the divergence guard keeps, and each slot with its copy; 7.0
#   weight sizes with Adam (LSTM, GRU and SimpleRNN; 600 and 1200 units, one window),
#   6.5 with RMSprop, 4.5 with SGD;
# - in the forward pass over all windows that scores the model, the caches of both
#   layers: per unit, window step and window, 18.3 floats for the LSTM, 14.4 for the
#   GRU, 2.4 for the SimpleRNN (200 units, window 24); below those:
CACHE_FLOATS = {"lstm": 16, "gru": 12, "rnn": 2}
# The loss history keeps a float and an int per epoch, each an object and a list slot.
BYTES_PER_EPOCH = 64


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
        help=f"window length, below {article.NUM_POINTS - 1} "
        f"(article: {article.WINDOW})",
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
        "--teacher-forcing",
        type=teacher_forcing,
        metavar="P|SCHEDULE",
        help="scheduled sampling: the probability that a decoder step reads the true "
        "previous value (article: 1), or linear:C[:MINIMUM], exponential:K, "
        "inverse_sigmoid:K",
    )
    add(
        "--out",
        type=folder_to_write,
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
        the options; ``task`` is the list of task names, ``settings`` the ``Settings``,
        ``models`` the models ``--load`` read, by task (empty without it).
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
    # The held-out windows are cut from the NUM_POINTS - 1 midpoints between the points.
    if args.settings.window >= article.NUM_POINTS - 1:
        parser.error(
            f"--window {args.settings.window} is too long: the held-out curves have "
            f"{article.NUM_POINTS - 1} points, so the window must be at most "
            f"{article.NUM_POINTS - 2}"
        )
    if args.save and args.load:
        parser.error("--save and --load exclude each other")
    for option, path in (("--save", args.save), ("--load", args.load)):
        if path is not None and path.suffix == ".npz" and len(args.task) > 1:
            parser.error(
                f"{option} {path}: a single .npz file holds one task; give a folder"
            )
    if args.compare_keras and args.settings.teacher_forcing != 1.0:
        parser.error(
            "--compare-keras trains Keras teacher-forced only: leave out "
            "--teacher-forcing"
        )
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
        if args.save.suffix == ".npz" and args.save.is_dir():
            parser.error(
                f"--save {args.save} is a folder; a .npz path names the model file"
            )
        try:
            folder_to_write(
                str(args.save.parent if args.save.suffix == ".npz" else args.save)
            )
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --save: {error}")
    args.models = {}
    if args.load is None:
        check_memory(parser, args.settings)
    else:
        try:
            args.models = load_models(args.load, args.task, args.settings.window)
        except (ValueError, OSError) as error:
            parser.error(f"--load: {error}")
    return args


def memory_needed(settings: Settings) -> dict[str, int]:
    """A lower estimate of the memory a run with ``settings`` needs, in bytes.

    The largest of the optimizer's step (weights, gradients, slots and their copies)
    and the scoring pass over all windows (weights, slots and both layers' caches), from
    the counts measured above, for the demo's float64 model of one input and one output
    feature; plus the loss history.

    Args:
        settings: the run's settings.

    Returns:
        the bytes, by the option that sets them: "--units" (the model and one step),
        "--epochs" (the history).
    """
    H, T = settings.units, settings.window
    windows = article.NUM_POINTS - T
    # The input and the output have one feature.
    shapes = Seq2Seq.weight_shapes(H, 1, 1, settings.cell)
    weights = sum(math.prod(shape) for shape in shapes)
    slots = len(make_optimizer(settings, steps_per_epoch=1).slot_names)
    # 2% below the count, which the measured peak matches but for a few kilobytes that
    # vary from run to run.
    step = (3 + 2 * slots) * weights * 49 // 50
    scoring = (1 + slots) * weights + CACHE_FLOATS[settings.cell] * H * T * windows
    itemsize = np.dtype(np.float64).itemsize
    return {
        "--units": itemsize * max(step, scoring),
        "--epochs": BYTES_PER_EPOCH * settings.epochs,
    }


def check_memory(parser: ArgumentParser, settings: Settings) -> None:
    """Exit through ``parser.error`` when a run with ``settings`` cannot fit in the
    memory available, naming the option whose size needs the most of it."""
    available = cli.available_memory()
    needed = memory_needed(settings)
    total = sum(needed.values())
    if available is None or total <= available:
        return
    option = max(needed, key=needed.__getitem__)
    value = getattr(settings, option.removeprefix("--"))
    what = "the model and one training step" if option == "--units" else "the history"
    parser.error(
        f"{option} {value} is too large: the run needs at least {format_bytes(total)} "
        f"of memory (most of it for {what}), and {format_bytes(available)} are "
        "available"
    )


def load_models(path: Path, tasks: Sequence[str], window: int) -> dict[str, Seq2Seq]:
    """The saved model of each task, each checked against its task's data.

    Args:
        path: a .npz file (one task) or a folder of ``<task>.npz``, as ``--load`` takes.
        tasks: the tasks' names.
        window: the window length, which fixes the task's arrays.

    Returns:
        the models, by task.

    Raises:
        ValueError: a file that is missing, not a model, or a model whose input or
            output size is not the task's number of features; the message names the
            file.
    """
    models = {}
    for task, file in model_paths(path, tasks).items():
        if not file.is_file():
            raise ValueError(f"no saved model at {file}")
        model = Seq2Seq.load(file)
        data = load_task(task, article.NUM_POINTS, window)
        for side, size, features in (
            ("input", model.input_dim, data.enc_x.shape[-1]),
            ("output", model.output_dim, data.dec_y.shape[-1]),
        ):
            if size != features:
                raise ValueError(
                    f"{file}: the model takes {size} {side} features "
                    f"({side}_dim={size}), the task {task} has {features}"
                )
        models[task] = model
    return models


def teacher_forcing(text: str) -> float | str:
    """``--teacher-forcing``: a probability in [0, 1] (as a float) or a schedule's
    text, as ``minilstm.schedules.get`` reads it.

    Raises:
        argparse.ArgumentTypeError: neither.
    """
    try:
        schedule = schedules.get(text)
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return schedule.p if isinstance(schedule, schedules.Constant) else text


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
