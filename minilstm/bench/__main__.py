"""``python -m minilstm.bench``: the command line, which starts a worker per side,
measures, and writes the report (``python -m minilstm.bench --help``)."""

import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from minilstm.bench.attention import measure_attention
from minilstm.bench.machine import OPENBLAS_OVERRIDES, load_average, set_variables
from minilstm.bench.measure import (
    FULL,
    OWN_KERNEL,
    QUICK,
    Results,
    measure,
    measure_memory,
)
from minilstm.bench.plot import plot
from minilstm.bench.report import report
from minilstm.bench.scale import measure_scale, measure_scale_memory
from minilstm.bench.workers import Worker
from minilstm.cli import ArgumentParser, folder_to_write, positive_int, run

PROG = "python -m minilstm.bench"
THREAD_SETTINGS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)


def build_parser() -> ArgumentParser:
    """The command line of ``python -m minilstm.bench``."""
    parser = ArgumentParser(
        prog=PROG,
        description="Time minilstm against PyTorch and the Keras reference: the "
        "article's training and decoding in float32 and float64, the matrix-product "
        "floor, a scaling sweep against Keras, peak memory.",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="one round of everything on tiny sizes")
    add(
        "--rounds",
        type=positive_int,
        help="rounds per side for the medians (default 5; the scale table's 3)",
    )
    add(
        "--threads",
        type=positive_int,
        help="limit every side to this many threads (BLAS, OpenMP, TensorFlow's pools, "
        "torch.set_num_threads); default: each library's own choice",
    )
    add("--no-keras", action="store_true", help="leave the Keras side out")
    add("--no-pytorch", action="store_true", help="leave the PyTorch side out")
    add(
        "--no-own-kernel",
        action="store_true",
        help="where OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set, do not also run "
        "minilstm without them",
    )
    add("--no-sweep", action="store_true", help="skip the scaling sweep")
    add(
        "--scale",
        action="store_true",
        help="measure the scale table instead: one training epoch at H/N/T = "
        "75/10/24 (the article's), 128/32/50, 256/64/100 and 512/128/100, minilstm in "
        "float32 and float64 beside PyTorch in float32, the matrix-product floor and "
        "the peak memory of each",
    )
    add(
        "--attention",
        action="store_true",
        help="measure the article's fit with attention (dot, additive) against "
        "without instead, float32 and float64, minilstm only",
    )
    add(
        "--out",
        type=folder_to_write,
        default="bench_output",  # a string, so that argparse checks it like a given one
        help="folder for results.md and sweep.png, created if missing "
        "(default bench_output)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark with the command line ``argv`` (default ``sys.argv[1:]``)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.rounds:
        sizes = replace(sizes, rounds=args.rounds, scale_rounds=args.rounds)
    if args.no_sweep:
        sizes = replace(sizes, sweep={})

    if args.threads:
        # Read by the libraries when they load, in the workers started below.
        for name in THREAD_SETTINGS:
            os.environ[name] = str(args.threads)
    results = Results()
    workers = {"minilstm": Worker("minilstm")}
    optional = {
        "PyTorch": (
            args.no_pytorch,
            "--no-pytorch",
            "PyTorch",
            "pip install torch (a CPU build: docs/performance.md)",
        ),
        "Keras": (
            args.no_keras,
            "--no-keras",
            "the Keras reference",
            'pip install -e ".[keras]"',
        ),
    }
    try:
        results.description = workers["minilstm"]("description")
        # The scale table compares minilstm as set up with PyTorch alone.
        own_kernel = not (args.no_own_kernel or args.scale or args.attention)
        if set_variables(OPENBLAS_OVERRIDES) and own_kernel:
            worker = Worker(OWN_KERNEL, unset=OPENBLAS_OVERRIDES)
            workers[OWN_KERNEL] = worker
            results.description.append(
                f'- rows "with OpenBLAS\'s own kernel": minilstm in a process '
                f"started without {', '.join(OPENBLAS_OVERRIDES)}; there, "
                + "; ".join(line.removeprefix("- ") for line in worker("blas"))
            )
        for side, (left_out, flag, what, extra) in optional.items():
            if args.attention or (side == "Keras" and args.scale):
                continue
            if left_out:
                results.notes.append(f"{side} columns skipped: {flag}.")
                continue
            worker = Worker(side, args.threads)
            try:
                results.description += worker("description")
                workers[side] = worker
            except ImportError as error:
                worker.close()
                results.notes.append(
                    f"{side} columns skipped: {what} cannot be imported ({error}). "
                    f"Install it with {extra}."
                )
        if args.attention:
            measure_attention(sizes, workers["minilstm"], results)
        elif args.scale:
            measure_scale(sizes, workers, results)
        else:
            measure(sizes, workers, results)
        # The load can change within a run: a busy machine slows every side unevenly.
        results.description.append(f"- load average at the end: {load_average()}")
    finally:
        for worker in workers.values():
            worker.close()
    if args.scale:
        measure_scale_memory(sizes, list(workers), results)
    elif not args.attention:  # which measures the time of fit only
        measure_memory(sizes, results)

    text = report(results, sizes)
    print(text)
    # Made only now, so that a run refused or stopped earlier leaves no empty folder.
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text)
    written = [args.out / "results.md"]
    if results.sweep:
        plot(results, args.out / "sweep.png")
        written.append(args.out / "sweep.png")
    print("Wrote " + " and ".join(str(p) for p in written))


if __name__ == "__main__":
    sys.exit(run(main, PROG))
