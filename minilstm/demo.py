"""``python -m minilstm.demo``: the article's three experiments, reproduced and corrected.

For each task of ``minilstm.data.TASKS`` (sin -> cos, a damped oscillation, x^2 -> sqrt x)
the demo trains the encoder-decoder with the article's settings, prints one line per epoch
as Keras's ``fit`` does, decodes every window autoregressively (feeding each prediction
back, which the article's listing forgot to do), prints a summary table and writes the
pictures (``minilstm.plots``) into an output folder.

``run_task`` is the whole experiment for one task, usable from Python:

    result = run_task("sin_cos", RECIPES["article"], verbose=False)
    result.autoregressive_mse, result.losses, result.predictions   # (76, 24, 1)

``python -m minilstm.demo --help`` lists the options. ``--recipe tuned`` trains longer,
with a decaying learning rate and gradient clipping, to reach an autoregressive MSE of
at most 1e-5 on every task.
"""

import argparse
import dataclasses
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minilstm import optimizers
from minilstm.cli import (
    ArgumentParser,
    non_negative_int,
    positive_float,
    positive_int,
    run,
    writable_folder,
)
from minilstm.data import TASKS, Dataset, load_task
from minilstm.seq2seq import Seq2Seq

NUM_POINTS = 100  # points per curve, as in the article
PROG = "python -m minilstm.demo"


@dataclass(frozen=True)
class Settings:
    """Everything that defines one training run.

    ``learning_rate`` None means the optimizer's Keras default. With ``final_learning_rate``
    the rate decays exponentially from ``learning_rate`` to it over the whole run; with
    ``clipnorm`` every gradient array is scaled down to at most that L2 norm.
    """

    epochs: int = 35
    units: int = 75
    window: int = 24
    batch_size: int = 10
    optimizer: str = "adam"
    learning_rate: float | None = None
    final_learning_rate: float | None = None
    clipnorm: float | None = None
    seed: int = 0


# --8<-- [start:recipes]
RECIPES: dict[str, Settings] = {
    # The article: Adam with its default rate 1e-3, 35 epochs of batches of 10.
    "article": Settings(),
    # Train longer, take more (smaller-batch) steps, and let the step size shrink:
    # - 400 epochs instead of 35, in batches of 5 instead of 10: 23 times more Adam steps;
    # - the learning rate starts at 5e-3 (5 times Adam's default) to get close fast, then
    #   decays exponentially to 1e-4, so that the last steps settle into the minimum
    #   instead of jittering around it (a jitter the autoregressive decoding amplifies);
    # - clipnorm 1.0 caps the norm of every gradient array: a safety net for the large
    #   early rate, should a batch produce a steep gradient.
    "tuned": Settings(
        epochs=400, batch_size=5, learning_rate=5e-3, final_learning_rate=1e-4, clipnorm=1.0
    ),
}
# --8<-- [end:recipes]


def exponential_decay(initial: float, final: float, steps: int) -> Callable[[int], float]:
    """A learning-rate schedule: ``initial`` at step 0, ``final`` at step ``steps`` and
    after, geometric in between (Keras's ``ExponentialDecay`` with these end points)."""

    def learning_rate(step: int) -> float:
        return initial * (final / initial) ** min(step / steps, 1.0)

    return learning_rate


def make_optimizer(settings: Settings, steps_per_epoch: int) -> optimizers.Optimizer:
    """The optimizer ``settings`` describe, with its schedule and clipping."""
    kind = {"adam": optimizers.Adam, "rmsprop": optimizers.RMSprop, "sgd": optimizers.SGD}
    kwargs: dict[str, Any] = {"clipnorm": settings.clipnorm}
    learning_rate = make_learning_rate(settings, steps_per_epoch)
    if learning_rate is not None:
        kwargs["learning_rate"] = learning_rate
    return kind[settings.optimizer](**kwargs)


def make_learning_rate(
    settings: Settings, steps_per_epoch: int
) -> float | Callable[[int], float] | None:
    """The learning rate: a float, a schedule, or None for the optimizer's default."""
    if settings.learning_rate is None or settings.final_learning_rate is None:
        return settings.learning_rate
    total = settings.epochs * steps_per_epoch
    return exponential_decay(settings.learning_rate, settings.final_learning_rate, total)


@dataclass
class TaskResult:
    """One model trained (or loaded) on one task, and how well it does.

    ``losses`` and ``epoch_seconds`` have one entry per epoch (empty for a loaded model);
    ``predictions`` is the autoregressive decoding of every window, (n, window, 1), the
    arrays of ``data`` being (n, window, 1) too.
    """

    task: str
    label: str
    settings: Settings
    data: Dataset
    losses: list[float]
    epoch_seconds: list[float]
    teacher_forced_mse: float
    autoregressive_mse: float
    predictions: np.ndarray
    model: Any = field(repr=False)
    initial_weights: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def history(self) -> dict[str, list[float]]:
        """The losses as Keras's ``History.history`` holds them: {"loss": [...]}."""
        return {"loss": self.losses}

    @property
    def train_seconds(self) -> float | None:
        """Total training time, None for a loaded model."""
        return sum(self.epoch_seconds) if self.epoch_seconds else None

    @property
    def final_loss(self) -> float | None:
        """The last epoch's mean training loss, None for a loaded model."""
        return self.losses[-1] if self.losses else None


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared difference over every element."""
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))


def run_task(
    task: str,
    settings: Settings = RECIPES["article"],
    verbose: bool = True,
    model: Seq2Seq | None = None,
) -> TaskResult:
    """Train a fresh ``Seq2Seq`` on ``task`` (or evaluate ``model`` without training).

    Args:
        task: a key of ``minilstm.data.TASKS``.
        settings: the run's settings (a ``RECIPES`` entry or your own).
        verbose: print one line per epoch.
        model: a trained model to evaluate instead of training a new one.

    Returns:
        the ``TaskResult``, with the model and (when trained) its initial weights.
    """
    data = load_task(task, NUM_POINTS, settings.window)
    losses: list[float] = []
    epoch_seconds: list[float] = []
    initial_weights = None
    if model is None:
        model = Seq2Seq(settings.units, seed=settings.seed)
        initial_weights = model.get_weights()
        steps_per_epoch = -(-len(data.enc_x) // settings.batch_size)
        model.optimizer = make_optimizer(settings, steps_per_epoch)
        for epoch in range(settings.epochs):
            # One epoch at a time: fit resumed at ``initial_epoch`` shuffles as one long
            # run would, and the demo gets to time and print each epoch itself.
            start = time.perf_counter()
            history = model.fit(
                data.enc_x,
                data.dec_x,
                data.dec_y,
                epochs=epoch + 1,
                initial_epoch=epoch,
                batch_size=settings.batch_size,
                verbose=0,
            )
            epoch_seconds.append(time.perf_counter() - start)
            losses.append(history.history["loss"][-1])
            if verbose:
                print_epoch(epoch, settings.epochs, epoch_seconds[-1], losses[-1])
    predictions = model.predict(data.enc_x, steps=settings.window)
    return TaskResult(
        task=task,
        label="minilstm",
        settings=settings,
        data=data,
        losses=losses,
        epoch_seconds=epoch_seconds,
        teacher_forced_mse=mse(model.forward(data.enc_x, data.dec_x), data.dec_y),
        autoregressive_mse=mse(predictions, data.dec_y),
        predictions=predictions,
        model=model,
        initial_weights=initial_weights,
    )


def print_epoch(epoch: int, epochs: int, seconds: float, loss: float) -> None:
    """One progress line, as Keras's ``fit(verbose=2)`` prints it."""
    print(f"Epoch {epoch + 1}/{epochs} - {seconds:.2f}s - loss: {loss:.4e}", flush=True)


def run_keras_task(
    task: str, settings: Settings, initial_weights: list[np.ndarray], verbose: bool = True
) -> TaskResult:
    """The same experiment with the Keras reference (``reference_keras``, float32 as Keras
    trains by default), started from ``initial_weights`` (minilstm's) and fed the batches
    in minilstm's order, so that both runs take the same steps. Needs TensorFlow."""
    # Before TensorFlow loads: its info lines (and the oneDNN notice, which the log level
    # does not silence) would interleave with the progress lines.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    import reference_keras as rk

    data = load_task(task, NUM_POINTS, settings.window)
    steps_per_epoch = -(-len(data.enc_x) // settings.batch_size)
    kwargs: dict[str, Any] = {"clipnorm": settings.clipnorm}
    if settings.learning_rate is not None:
        kwargs["learning_rate"] = settings.learning_rate
        if settings.final_learning_rate is not None:
            kwargs["learning_rate"] = keras.optimizers.schedules.ExponentialDecay(
                settings.learning_rate,
                decay_steps=settings.epochs * steps_per_epoch,
                decay_rate=settings.final_learning_rate / settings.learning_rate,
            )
    kind = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop}
    optimizer = kind.get(settings.optimizer, keras.optimizers.SGD)(**kwargs)
    model = rk.build_training_model(settings.units, window=settings.window, optimizer=optimizer)
    start_model = Seq2Seq(settings.units, seed=settings.seed)
    start_model.set_weights(initial_weights)
    rk.weights_to_keras(start_model, model)

    losses: list[float] = []
    epoch_seconds: list[float] = []
    for epoch in range(settings.epochs):
        # Keras sees the windows in the order minilstm's fit does (Seq2Seq.fit's shuffle),
        # so that the two runs differ only by their arithmetic. Keras's own shuffle would
        # not do for a seeded comparison: after keras.utils.set_random_seed, Keras 3 with
        # TensorFlow repeats the same order in every epoch.
        order = np.random.default_rng([settings.seed, epoch]).permutation(len(data.enc_x))
        start = time.perf_counter()
        history = model.fit(
            [data.enc_x[order], data.dec_x[order]],
            data.dec_y[order],
            batch_size=settings.batch_size,
            shuffle=False,
            verbose=0,
        )
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(float(history.history["loss"][-1]))
        if verbose:
            print_epoch(epoch, settings.epochs, epoch_seconds[-1], losses[-1])
    predictions = rk.decode(*rk.build_inference_models(model), data.enc_x, settings.window)
    teacher_forced = keras.ops.convert_to_numpy(model([data.enc_x, data.dec_x], training=False))
    return TaskResult(
        task=task,
        label="Keras",
        settings=settings,
        data=data,
        losses=losses,
        epoch_seconds=epoch_seconds,
        teacher_forced_mse=mse(teacher_forced, data.dec_y),
        autoregressive_mse=mse(predictions, data.dec_y),
        predictions=predictions.astype(np.float64),
        model=model,
        initial_weights=initial_weights,
    )


def format_table(results: Sequence[TaskResult]) -> str:
    """The summary table, one row per result."""

    def num(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    header = ("task", "model", "final loss", "teacher-forced MSE", "autoregressive MSE", "time")
    rows = [
        (
            r.task,
            r.label,
            num(r.final_loss, ".2e"),
            num(r.teacher_forced_mse, ".2e"),
            num(r.autoregressive_mse, ".2e"),
            num(r.train_seconds, ".1f") + ("" if r.train_seconds is None else " s"),
        )
        for r in results
    ]
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([lines[0], "-" * sum(widths, 2 * len(widths) - 2), *lines[1:]])


def build_parser() -> ArgumentParser:
    """The command line of ``python -m minilstm.demo``."""
    parser = ArgumentParser(
        prog=PROG,
        description="Train the article's LSTM encoder-decoder on its three tasks, print a "
        "summary table and write the pictures.",
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
    add("--epochs", type=positive_int, help="epochs to train (article: 35)")
    add("--units", type=positive_int, help="units of each LSTM (article: 75)")
    add("--window", type=positive_int, help=f"window length, below {NUM_POINTS} (article: 24)")
    add("--batch-size", type=positive_int, help="windows per gradient step (article: 10)")
    add("--optimizer", choices=["adam", "rmsprop", "sgd"], help="optimizer (article: adam)")
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
    add("--quiet", action="store_true", help="no per-epoch lines, only the table and the files")
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
        help="evaluate saved models instead of training (a file or a folder, as --save)",
    )
    add(
        "--compare-keras",
        action="store_true",
        help="also train the Keras reference from the same initial weights (needs TensorFlow)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check the command line; a bad argument exits with status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    names = [n for item in args.task for n in item.replace(",", " ").split()]
    if not names or "all" in names:
        names = list(TASKS)
    unknown = [n for n in names if n not in TASKS]
    if unknown:
        parser.error(f"unknown task {unknown[0]!r}: choose from {', '.join(TASKS)} or all")
    args.task = list(dict.fromkeys(names))
    overrides = {
        k: getattr(args, k)
        for k in ("epochs", "units", "window", "batch_size", "optimizer", "learning_rate", "seed")
        if getattr(args, k) is not None
    }
    args.settings = dataclasses.replace(RECIPES[args.recipe], **overrides)
    if args.settings.window >= NUM_POINTS:
        parser.error(
            f"--window {args.settings.window} is too long: the curves have {NUM_POINTS} "
            f"points, so the window must be at most {NUM_POINTS - 1}"
        )
    if args.save and args.load:
        parser.error("--save and --load exclude each other")
    for option, path in (("--save", args.save), ("--load", args.load)):
        if path is not None and path.suffix == ".npz" and len(args.task) > 1:
            parser.error(f"{option} {path}: a single .npz file holds one task; give a folder")
    if args.load is not None:
        missing = [str(p) for p in model_paths(args.load, args.task).values() if not p.exists()]
        if missing:
            parser.error(f"--load: no saved model at {missing[0]}")
    if args.compare_keras:
        needed = [m for m in ("tensorflow", "keras", "reference_keras") if not module_exists(m)]
        if needed:
            parser.error(
                f"--compare-keras needs {' and '.join(needed)}: "
                "pip install -e '.[keras]' in a clone of minilstm"
            )
    if args.save is not None:
        try:
            writable_folder(str(args.save.parent if args.save.suffix == ".npz" else args.save))
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --save: {error}")
    return args


def module_exists(name: str) -> bool:
    """Whether ``name`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def model_paths(path: Path, tasks: Sequence[str]) -> dict[str, Path]:
    """The file of each task's model: ``path`` itself if it is a .npz file, else
    ``path/<task>.npz``."""
    if path.suffix == ".npz":
        return {tasks[0]: path}
    return {task: path / f"{task}.npz" for task in tasks}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo with the command line ``argv`` (default ``sys.argv[1:]``)."""
    args = parse_args(argv)
    from minilstm import plots  # matplotlib is needed only from here on

    plots.use_backend(show=args.show)
    settings: Settings = args.settings
    verbose = not args.quiet
    loads = model_paths(args.load, args.task) if args.load else {}
    saves = model_paths(args.save, args.task) if args.save else {}
    results: dict[str, list[TaskResult]] = {}
    for task in args.task:
        t = TASKS[task]
        if verbose:
            print(f"\n{task}: {plain(t.encoder_label)} -> {plain(t.decoder_label)}")
        model = Seq2Seq.load(loads[task]) if task in loads else None
        if model is not None:
            print(f"loaded {loads[task]}; not training")
            settings_task = dataclasses.replace(settings, units=model.units)
        else:
            settings_task = settings
            if verbose:
                print(describe(settings_task))
        result = run_task(task, settings_task, verbose=verbose, model=model)
        results[task] = [result]
        if task in saves:
            # A schedule is a Python function, which a model file does not store: such a
            # model is saved without its optimizer (it predicts the same, but cannot resume).
            schedule = callable(result.model.optimizer.learning_rate)
            result.model.save(saves[task], include_optimizer=not schedule)
            print(f"saved the model to {saves[task]}")
        if args.compare_keras:
            if result.initial_weights is None:
                print("Keras: skipped, a loaded model has no initial weights to start from")
            else:
                if verbose:
                    print("Keras reference, same initial weights, same batch order:")
                results[task].append(
                    run_keras_task(task, settings_task, result.initial_weights, verbose)
                )
    print()
    print(format_table([r for rs in results.values() for r in rs]))
    paths = plots.save_figures(results, args.out, keep_open=args.show)
    print(f"\n{len(paths)} pictures in {args.out}/:")
    for path in paths:
        print(f"  {path}")
    if args.show:
        plots.show()
    return 0


def describe(settings: Settings) -> str:
    """The settings in one line."""
    lr = f"{settings.learning_rate or optimizers.get(settings.optimizer).learning_rate:g}"
    if settings.final_learning_rate is not None:
        lr += f" decaying to {settings.final_learning_rate:g}"
    clip = "" if settings.clipnorm is None else f", clipnorm {settings.clipnorm:g}"
    return (
        f"{settings.units} units, window {settings.window}, batch {settings.batch_size}, "
        f"{settings.epochs} epochs, {settings.optimizer} (learning rate {lr}{clip}), "
        f"seed {settings.seed}"
    )


def plain(label: str) -> str:
    """A plot label's LaTeX in plain text, for the terminal."""
    for latex, text in (("$", ""), (r"\sin", "sin"), (r"\cos", "cos"), (r"\sqrt{x}", "sqrt(x)")):
        label = label.replace(latex, text)
    return label.replace("e^{-x/5}", "exp(-x/5) ").replace("  ", " ")


if __name__ == "__main__":
    sys.exit(run(main, PROG))
