"""Peak memory of a run, measured in a fresh Python that does nothing else.

``peak_memory_mb("article", 35)`` starts ``python -m minilstm.bench.memory RESULT
article 35``: that process runs the workload named ``article`` with the argument "35",
then writes its peak resident memory to the file RESULT, even if the workload failed.
The workloads take their arguments as that command line gives them, as strings.
"""

import os
import runpy
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def article_workload(epochs: str) -> None:
    """The article's model trained for ``epochs`` epochs, then decoding its 76 windows:
    minilstm alone."""
    import minilstm as ml
    from minilstm import article
    from minilstm.data import load_task

    data = load_task("sin_cos")
    model = ml.Seq2Seq(units=article.UNITS, seed=0)
    model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=int(epochs),
        batch_size=article.BATCH_SIZE,
        verbose=0,
    )
    model.predict(data.enc_x)
    # The peak is minilstm's only if nothing on the way loaded TensorFlow.
    assert "tensorflow" not in sys.modules


def demo_workload() -> None:
    """``python -m minilstm.demo`` with its default settings."""
    sys.argv = ["minilstm.demo"]
    runpy.run_module("minilstm.demo", run_name="__main__")


def epoch_workload(
    side: str, dtype: str, units: str, batch_size: str, window: str, batches: str
) -> None:
    """One training epoch of a fresh model at one size of the scale table, on
    minilstm's side or PyTorch's (``side``), in ``dtype``."""
    from minilstm.bench.peers import TorchSide
    from minilstm.bench.sides import MinilstmSide
    from minilstm.bench.workloads import scale_data

    data = scale_data(int(units), int(batch_size), int(window), int(batches))
    runner = TorchSide(threads=None) if side == "PyTorch" else MinilstmSide()
    runner.prepare_epoch(data, int(batch_size), dtype)


WORKLOADS: dict[str, Callable[..., None]] = {
    "article": article_workload,
    "demo": demo_workload,
    "epoch": epoch_workload,
}


def peak_memory_mb(workload: str, *args: object) -> float | None:
    """Peak resident memory (MB) of a fresh Python running one of ``WORKLOADS``.

    Args:
        workload: the name of the workload.
        *args: its arguments, passed on the command line as strings.

    Returns:
        the peak in MB; None where /proc is missing (not Linux) or the run failed.
    """
    if not Path("/proc/self/status").exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "vmhwm"
        # The fresh Python finds minilstm where this one does.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        command = [sys.executable, "-m", __name__, str(result), workload]
        done = subprocess.run(
            [*command, *map(str, args)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if done.returncode != 0 or not result.exists():
            return None
        return int(result.read_text()) * 1024 / 1e6


def probe(result: str, workload: str, *args: str) -> None:
    """Run a workload, then write this process's peak resident memory (kB) to
    ``result``."""
    try:
        WORKLOADS[workload](*args)
    finally:
        # VmHWM is the peak resident memory of this program only; getrusage's ru_maxrss
        # would also count the parent's memory, inherited through fork before exec.
        with open("/proc/self/status") as status, open(result, "w") as out:
            peak = next(line for line in status if line.startswith("VmHWM"))
            out.write(peak.split()[1])


if __name__ == "__main__":
    probe(*sys.argv[1:])
