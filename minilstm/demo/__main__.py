"""``python -m minilstm.demo``: train (or load) each task, print the table, draw.

``python -m minilstm.demo --help`` lists the options (``minilstm.demo.options``).
"""

import dataclasses
import sys
from collections.abc import Sequence

from minilstm.cli import run
from minilstm.data import TASKS
from minilstm.demo.experiment import TaskResult, run_task
from minilstm.demo.keras_run import run_keras_task
from minilstm.demo.options import PROG, model_paths, parse_args
from minilstm.demo.recipes import describe
from minilstm.demo.report import format_table, plain


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo with a command line.

    Args:
        argv: the arguments, without the program name (default ``sys.argv[1:]``).

    Returns:
        the exit status, 0.
    """
    args = parse_args(argv)
    from minilstm.demo import plots  # matplotlib is needed only from here on

    plots.use_backend(show=args.show)
    verbose = not args.quiet
    saves = model_paths(args.save, args.task) if args.save else {}
    results: dict[str, list[TaskResult]] = {}
    for task in args.task:
        t = TASKS[task]
        if verbose:
            print(f"\n{task}: {plain(t.encoder_label)} -> {plain(t.decoder_label)}")
        settings = args.settings
        model = args.models.get(task)
        if model is not None:
            print(f"loaded {model_paths(args.load, args.task)[task]}; not training")
            settings = dataclasses.replace(
                settings, units=model.units, cell=model.cell, attention=model.attention
            )
        elif verbose:
            print(describe(settings))
        result = run_task(task, settings, verbose=verbose, model=model)
        results[task] = [result]
        if task in saves:
            # A schedule is a Python function, which a model file does not store: such a
            # model is saved without its optimizer (it predicts the same, but cannot
            # resume).
            schedule = callable(result.model.optimizer.learning_rate)
            saves[task].parent.mkdir(parents=True, exist_ok=True)
            result.model.save(saves[task], include_optimizer=not schedule)
            print(f"saved the model to {saves[task]}")
        if args.compare_keras:
            results[task] += compare_keras(result, verbose)
    print()
    print(format_table([r for rs in results.values() for r in rs]))
    paths = plots.save_figures(results, args.out, keep_open=args.show)
    print(f"\n{len(paths)} pictures in {args.out}/:")
    for path in paths:
        print(f"  {path}")
    if args.show:
        plots.show()
    return 0


def compare_keras(result: TaskResult, verbose: bool) -> list[TaskResult]:
    """The Keras reference's run beside minilstm's ``result``, if it can start alike.

    Args:
        result: minilstm's result on the task.
        verbose: print one line per epoch.

    Returns:
        the Keras run's result, or nothing for a loaded model.
    """
    if result.initial_weights is None:
        print("Keras: skipped, a loaded model has no initial weights to start from")
        return []
    if verbose:
        print("Keras reference, same initial weights, same batch order:")
    return [
        run_keras_task(result.task, result.settings, result.initial_weights, verbose)
    ]


if __name__ == "__main__":
    sys.exit(run(main, PROG))
