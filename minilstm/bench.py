"""``python -m minilstm.bench``: how fast minilstm is, beside PyTorch and Keras.

One run measures, alternating the sides round by round and quoting medians:

- the article's workload (sin -> cos, window 24, 75 units, batch 10, 35 epochs, Adam),
  in float32 on every side and in float64 on minilstm's and PyTorch's: ``fit`` of a
  fresh model (the Keras reference's ``fit`` includes its first-call tracing, as a user
  pays for it; PyTorch's ``nn.LSTM`` encoder and decoder train in a plain loop), and the
  batched autoregressive decoding of all 76 windows, warm;
- the floor: the recurrent matrix products of that training alone (h U forward and
  dz U^T backward, every step of every batch of every epoch), with the same BLAS;
- a scaling sweep, one setting at a time from the article's (sequence length, units,
  batch size): the time of one training epoch on each side, once warm;
- the peak memory of minilstm-only runs.

Where the environment overrides OpenBLAS's choice of kernel (``OPENBLAS_CORETYPE``,
``OPENBLAS_L2_SIZE``, set on some machines), the headline also runs minilstm in a
process without those settings, beside the others, and shows its rows too
(``--no-own-kernel`` leaves them out).

Each side runs in a process of its own, as it would for a user: TensorFlow's and
PyTorch's thread pools, once loaded, would otherwise compete with NumPy's BLAS threads.
It prints Markdown tables and writes them and the sweep's plot into ``--out``. Without
TensorFlow or PyTorch (or with ``--no-keras``, ``--no-pytorch``) their columns are
skipped with a note. ``--quick`` runs everything once on tiny sizes. How to read the
results: docs/performance.md.
"""

import gc
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.cli import ArgumentParser, positive_int, run, writable_folder
from minilstm.data import load_task, make_windows

PROG = "python -m minilstm.bench"
# Settings that override OpenBLAS's own choice of kernel and cache size; some machines
# set them. When they are set, a second minilstm side runs without them, so that one run
# measures both ways (docs/performance.md).
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OWN_KERNEL = "minilstm, OpenBLAS's own kernel"
# The headline's runs, a side and its dtype each; Keras runs at its default float32.
RUNS = (
    ("minilstm", "float32"),
    (OWN_KERNEL, "float32"),
    ("PyTorch", "float32"),
    ("Keras", "float32"),
    ("minilstm", "float64"),
    (OWN_KERNEL, "float64"),
    ("PyTorch", "float64"),
)
# The scaling sweep compares minilstm with Keras only, to keep one run within minutes.
SWEEP_SIDES = ("minilstm", "Keras")
THREAD_SETTINGS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
ARTICLE = {
    "window": article.WINDOW,
    "units": article.UNITS,
    "batch_size": article.BATCH_SIZE,
}


@dataclass(frozen=True)
class Sizes:
    """What one run measures; ``--quick`` shrinks all of it."""

    rounds: int = 5  # rounds of each side, alternating; the tables quote medians
    epochs: int = article.EPOCHS  # epochs of the article's workload
    decode_repeats: int = 10  # timed decodes per round (their median is the round's)
    sweep: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {
            "window": (article.WINDOW, 50, 100, 200),
            "units": (32, article.UNITS, 128, 256),
            "batch_size": (article.BATCH_SIZE, 32, 64, 128, 256),
        }
    )
    sweep_windows: int = 256  # training windows of the sweep's data set
    sweep_rounds: int = 3
    demo: bool = True  # also measure the peak memory of ``python -m minilstm.demo``


FULL = Sizes()
QUICK = Sizes(
    rounds=1,
    epochs=2,
    decode_repeats=2,
    sweep={"window": (8, 16), "units": (8, 16), "batch_size": (4, 16)},
    sweep_windows=32,
    sweep_rounds=1,
    demo=False,
)


def seconds_of(fn: Callable[[], Any], repeats: int = 1) -> float:
    """The median wall time of ``repeats`` calls of fn, each after a garbage
    collection."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def alternate(rounds: int, sides: Sequence[str]) -> list[str]:
    """The order of the measurements: each round runs every side, the first side
    alternating from round to round, so that neither always runs first."""
    order = []
    for r in range(rounds):
        order += list(sides) if r % 2 == 0 else list(reversed(sides))
    return order


@dataclass
class Data:
    """Training arrays (N, T, 1) and the units of the model to train on them."""

    enc_x: np.ndarray
    dec_x: np.ndarray
    dec_y: np.ndarray
    units: int


def article_data() -> Data:
    """The article's 76 windows of sin -> cos, (76, 24, 1), and its 75 units."""
    data = load_task("sin_cos")
    return Data(data.enc_x, data.dec_x, data.dec_y, ARTICLE["units"])


def sweep_data(window: int, windows: int, units: int) -> Data:
    """``windows`` windows of length ``window`` of sin -> cos, and the units to use."""
    x = np.linspace(0.0, windows * 2 * np.pi / 24, windows + window)
    return Data(*make_windows(np.sin(x), np.cos(x), window), units)


# --- the sides, each living in a worker process of its own ----------------------------


class MinilstmSide:
    """The measurements of minilstm (float64, its default, unless told)."""

    name = "minilstm"

    def fit_seconds(self, epochs: int, seed: int, dtype: str = "float64") -> float:
        """A fresh model's ``fit`` on the article's workload."""
        data = article_data()
        model = ml.Seq2Seq(units=data.units, seed=seed, dtype=np.dtype(dtype))
        return seconds_of(
            lambda: model.fit(
                data.enc_x,
                data.dec_x,
                data.dec_y,
                epochs=epochs,
                batch_size=ARTICLE["batch_size"],
                optimizer=ml.Adam(),
                verbose=0,
            )
        )

    def prepare_decode(self, dtype: str = "float64") -> None:
        """Make the model that ``decode_seconds`` decodes with, and decode once.

        Args:
            dtype: the model's dtype.
        """
        data = article_data()
        model = ml.Seq2Seq(units=data.units, seed=0, dtype=np.dtype(dtype))
        self.decode = lambda: model.predict(data.enc_x)
        self.decode()

    def decode_seconds(self, repeats: int) -> float:
        return seconds_of(self.decode, repeats)

    def prepare_epoch(self, data: Data, batch_size: int) -> None:
        model = ml.Seq2Seq(units=data.units, seed=0)
        optimizer = ml.Adam()
        self.epoch = lambda: model.fit(
            data.enc_x,
            data.dec_x,
            data.dec_y,
            epochs=1,
            batch_size=batch_size,
            optimizer=optimizer,
            verbose=0,
        )
        self.epoch()

    def epoch_seconds(self) -> float:
        return seconds_of(self.epoch)

    def floor_seconds(self, epochs: int) -> float:
        return matmul_floor(
            epochs,
            len(article_data().enc_x),
            ARTICLE["batch_size"],
            ARTICLE["window"],
            ARTICLE["units"],
        )

    def description(self) -> list[str]:
        return environment()

    def blas(self) -> list[str]:
        """The BLAS lines of the header, as this process sees them."""
        return blas_lines()


class KerasSide:
    """The measurements of the Keras reference (``reference_keras``), at Keras's default
    float32."""

    name = "Keras"

    def __init__(self) -> None:
        # TensorFlow is optional: imported here only, in the Keras side's own process.
        import keras

        import reference_keras

        self.keras, self.ref = keras, reference_keras

    def fit_seconds(self, epochs: int, seed: int, dtype: str = "float32") -> float:
        """A fresh model's ``fit``, its first-call tracing included.

        Args:
            epochs: epochs to train.
            seed: Keras's random seed, for the initial weights.
            dtype: float32 only, Keras's default, which the reference builds in.

        Returns:
            The seconds ``fit`` took.
        """
        check_keras_dtype(dtype)
        data = article_data()
        self.keras.utils.set_random_seed(seed)
        model = self.ref.build_training_model(**model_settings(data))
        return seconds_of(
            lambda: model.fit(
                [data.enc_x, data.dec_x],
                data.dec_y,
                epochs=epochs,
                batch_size=ARTICLE["batch_size"],
                verbose=0,
            )
        )

    def prepare_decode(self, dtype: str = "float32") -> None:
        """The reference's batched decode of the 76 windows, with the weights of the
        minilstm model the other side decodes with, warmed up.

        Args:
            dtype: float32 only, Keras's default, which the reference builds in.
        """
        check_keras_dtype(dtype)
        data = article_data()
        model = self.ref.build_training_model(**model_settings(data))
        self.ref.weights_to_keras(ml.Seq2Seq(units=data.units, seed=0), model)
        encoder_model, decoder_model = self.ref.build_inference_models(model)
        self.decode = lambda: self.ref.decode(encoder_model, decoder_model, data.enc_x)
        self.decode()

    def decode_seconds(self, repeats: int) -> float:
        return seconds_of(self.decode, repeats)

    def prepare_epoch(self, data: Data, batch_size: int) -> None:
        """Build a model and train one epoch, which traces its training step."""
        model = self.ref.build_training_model(**model_settings(data))
        timer = epoch_timer_callback(self.keras)

        def epoch() -> float:
            gc.collect()
            model.fit(
                [data.enc_x, data.dec_x],
                data.dec_y,
                batch_size=batch_size,
                epochs=1,
                verbose=0,
                callbacks=[timer],
            )
            return timer.seconds

        self.epoch = epoch
        self.epoch()

    def epoch_seconds(self) -> float:
        """One epoch timed by a callback: without ``fit``'s per-call set-up."""
        return self.epoch()

    def description(self) -> list[str]:
        version = (
            f"Keras {self.keras.__version__} ({self.keras.backend.backend()} backend"
        )
        if self.keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            threads = os.environ.get("TF_NUM_INTRAOP_THREADS", "its default")
            version += f", TensorFlow {tf.__version__}, intra-op threads: {threads}"
        return [f"- Keras side: {version}), float32 (Keras's default)"]


class TorchSide:
    """The same model in PyTorch: an ``nn.LSTM`` encoder, an ``nn.LSTM`` decoder
    started from the encoder's final (h, c), an ``nn.Linear`` on every decoder step,
    trained with ``torch.optim.Adam`` at Keras's defaults on the MSE, in the same batch
    order as minilstm's ``fit``."""

    name = "PyTorch"

    def __init__(self, threads: int | None) -> None:
        """Import PyTorch and give it ``threads`` threads.

        Args:
            threads: the bench's ``--threads``; None leaves PyTorch's own choice.
        """
        # PyTorch is optional: imported here only, in the PyTorch side's own process.
        import torch

        self.torch = torch
        if threads:
            torch.set_num_threads(threads)
            torch.set_num_interop_threads(threads)

    def model(self, data: Data, dtype: str) -> Any:
        """A fresh model for ``data`` in ``dtype``, PyTorch's own initial weights.

        Args:
            data: the arrays whose feature sizes, and the units, the model takes.
            dtype: "float32" or "float64".

        Returns:
            The ``torch.nn.Module``; called with (enc_x, dec_x), it returns the
            teacher-forced predictions.
        """
        nn, torch_dtype = self.torch.nn, getattr(self.torch, dtype)
        input_dim, output_dim = data.enc_x.shape[2], data.dec_y.shape[2]

        class Seq2Seq(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = nn.LSTM(input_dim, data.units, batch_first=True)
                self.decoder = nn.LSTM(output_dim, data.units, batch_first=True)
                self.dense = nn.Linear(data.units, output_dim)

            def forward(self, enc_x: Any, dec_x: Any) -> Any:
                _, state = self.encoder(enc_x)
                hs, _ = self.decoder(dec_x, state)
                return self.dense(hs)

        return Seq2Seq().to(torch_dtype)

    def fit_seconds(self, epochs: int, seed: int, dtype: str = "float32") -> float:
        """A fresh model trained in a plain loop: a fresh order of the windows every
        epoch, drawn as minilstm's ``fit`` draws it, in batches of the article's size.

        Args:
            epochs: epochs to train.
            seed: PyTorch's random seed, for the initial weights, and the batch order's.
            dtype: "float32" or "float64".

        Returns:
            The seconds the training loop took.
        """
        torch, data = self.torch, article_data()
        torch.manual_seed(seed)
        model = self.model(data, dtype)
        # Keras's defaults, which minilstm's Adam shares (PyTorch's own eps is 1e-8).
        optimizer = torch.optim.Adam(
            model.parameters(),
            lr=1e-3,
            betas=(0.9, 0.999),
            eps=1e-7,
        )
        loss = torch.nn.MSELoss()
        batch_size, n = ARTICLE["batch_size"], len(data.enc_x)

        def fit() -> None:
            enc_x, dec_x, dec_y = (
                torch.from_numpy(a).to(getattr(torch, dtype))
                for a in (data.enc_x, data.dec_x, data.dec_y)
            )
            for epoch in range(epochs):
                rng = np.random.default_rng([seed, epoch])
                order = torch.from_numpy(rng.permutation(n))
                for start in range(0, n, batch_size):
                    batch = order[start : start + batch_size]
                    optimizer.zero_grad()
                    loss(model(enc_x[batch], dec_x[batch]), dec_y[batch]).backward()
                    optimizer.step()

        return seconds_of(fit)

    def prepare_decode(self, dtype: str = "float32") -> None:
        """The batched decode of the 76 windows: the encoder over the windows, then one
        decoder step at a time, each prediction fed back; warmed up.

        Args:
            dtype: the model's dtype.
        """
        torch, data = self.torch, article_data()
        model = self.model(data, dtype)
        enc_x = torch.from_numpy(data.enc_x).to(getattr(torch, dtype))
        steps, output_dim = data.enc_x.shape[1], data.dec_y.shape[2]

        @torch.no_grad()
        def decode() -> Any:
            _, state = model.encoder(enc_x)
            y_prev = enc_x.new_zeros((len(enc_x), 1, output_dim))
            ys = []
            for _ in range(steps):
                h, state = model.decoder(y_prev, state)
                y_prev = model.dense(h)
                ys.append(y_prev)
            return torch.cat(ys, dim=1)

        self.decode = decode
        self.decode()

    def decode_seconds(self, repeats: int) -> float:
        return seconds_of(self.decode, repeats)

    def description(self) -> list[str]:
        torch = self.torch
        return [
            f"- PyTorch side: PyTorch {torch.__version__}, CPU code "
            f"{torch.backends.cpu.get_cpu_capability()}, intra-op threads: "
            f"{torch.get_num_threads()}, float32 and float64"
        ]


def check_keras_dtype(dtype: str) -> None:
    """Refuse a dtype other than float32, the only one the Keras side runs in.

    Args:
        dtype: the dtype asked for.

    Raises:
        ValueError: for any other dtype.
    """
    if dtype != "float32":
        raise ValueError(
            f"the Keras side runs in float32, Keras's default; got {dtype}"
        )


def epoch_timer_callback(keras: Any) -> Any:
    """A Keras callback that keeps the time of the last epoch in ``seconds``."""

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.seconds = time.perf_counter() - self.start

    return EpochTimer()


def model_settings(data: Data) -> dict[str, int]:
    """The keyword arguments of ``reference_keras.build_training_model`` for
    ``data``."""
    return {
        "units": data.units,
        "input_dim": data.enc_x.shape[2],
        "output_dim": data.dec_y.shape[2],
        "window": data.enc_x.shape[1],
    }


_SIDE: MinilstmSide | KerasSide | TorchSide | None = None  # in a worker: its side


def in_worker(side: str, threads: int | None, method: str, *args: Any) -> Any:
    """Run in a worker: call ``method`` of the worker's side, made on first use.

    Args:
        side: "minilstm", ``OWN_KERNEL``, "Keras" or "PyTorch".
        threads: the bench's ``--threads``, which PyTorch takes as a call; the
            other sides read it from the environment when their libraries load.
        method: the side's method to call.
        *args: its arguments.

    Returns:
        What the method returns.
    """
    global _SIDE
    if _SIDE is None:
        if side == "PyTorch":
            _SIDE = TorchSide(threads)
        else:
            _SIDE = KerasSide() if side == "Keras" else MinilstmSide()
    return getattr(_SIDE, method)(*args)


class Worker:
    """A process running one side; its calls block until they return."""

    def __init__(
        self, side: str, threads: int | None = None, unset: Sequence[str] = ()
    ) -> None:
        self.side, self.threads = side, threads
        # The worker starts with this process's environment, less ``unset``.
        saved = {name: os.environ.pop(name) for name in unset if name in os.environ}
        try:
            self.pool = multiprocessing.get_context("spawn").Pool(1)
        finally:
            os.environ.update(saved)

    def __call__(self, method: str, *args: Any) -> Any:
        return self.pool.apply(in_worker, (self.side, self.threads, method, *args))

    def close(self) -> None:
        self.pool.terminate()


# --- the measurements -----------------------------------------------------------------


def matmul_floor(
    epochs: int, n: int, batch_size: int, window: int, units: int
) -> float:
    """Seconds of the recurrent matrix products of a training run alone: per batch, the
    encoder's and the decoder's h U at every step forward and dz U^T at every step
    backward, into preallocated arrays, in float64 with the same BLAS as minilstm."""
    rng = np.random.default_rng(0)
    U = rng.normal(size=(units, 4 * units))
    batches = [min(batch_size, n - s) for s in range(0, n, batch_size)]
    buffers = {
        b: (
            rng.normal(size=(b, units)),
            np.empty((b, 4 * units)),
            rng.normal(size=(b, 4 * units)),
        )
        for b in set(batches)
    }

    def run() -> None:
        for _ in range(epochs):
            for b in batches:
                h, z, dz = buffers[b]
                for _ in range(2 * window):  # encoder and decoder, forward
                    np.matmul(h, U, out=z)
                for _ in range(2 * window):  # decoder and encoder, backward
                    np.matmul(dz, U.T, out=h)

    return seconds_of(run, repeats=3)


Run = tuple[str, str]  # a side and its dtype


@dataclass
class Results:
    """Everything measured: per run (side, dtype), the rounds' seconds; memory in MB."""

    fit: dict[Run, list[float]] = field(default_factory=dict)
    decode: dict[Run, list[float]] = field(default_factory=dict)
    floor: float = 0.0
    sweep: list[tuple[str, int, dict[str, float]]] = field(default_factory=list)
    memory: dict[str, float | None] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure(sizes: Sizes, workers: dict[str, Worker], results: Results) -> None:
    """Run every measurement, alternating the sides."""
    runs = [run for run in RUNS if run[0] in workers]
    results.fit = {run: [] for run in runs}
    for r, (side, dtype) in enumerate(alternate(sizes.rounds, runs)):
        seconds = workers[side]("fit_seconds", sizes.epochs, r // len(runs), dtype)
        results.fit[side, dtype].append(seconds)
        progress(f"article fit, {side} {dtype}: {seconds:.3f} s")

    # One model per dtype lives in a side's worker at a time: decode dtype by dtype.
    results.decode = {run: [] for run in runs}
    for dtype in dict.fromkeys(dtype for _, dtype in runs):
        dtype_runs = [run for run in runs if run[1] == dtype]
        for side, _ in dtype_runs:
            workers[side]("prepare_decode", dtype)
        for side, _ in alternate(sizes.rounds, dtype_runs):
            seconds = workers[side]("decode_seconds", sizes.decode_repeats)
            results.decode[side, dtype].append(seconds)
            progress(f"decode, {side} {dtype}: {seconds * 1e3:.2f} ms")

    results.floor = workers["minilstm"]("floor_seconds", sizes.epochs)
    progress(f"matrix-product floor: {results.floor:.3f} s")

    sides = [side for side in SWEEP_SIDES if side in workers]
    for axis, values in sizes.sweep.items():
        for value in values:
            setting = {**ARTICLE, axis: value}
            data = sweep_data(setting["window"], sizes.sweep_windows, setting["units"])
            for side in sides:
                workers[side]("prepare_epoch", data, setting["batch_size"])
            times: dict[str, list[float]] = {s: [] for s in sides}
            for side in alternate(sizes.sweep_rounds, sides):
                times[side].append(workers[side]("epoch_seconds"))
            medians = {s: statistics.median(t) for s, t in times.items()}
            results.sweep.append((axis, value, medians))
            shown = ", ".join(f"{s} {t * 1e3:.1f} ms" for s, t in medians.items())
            progress(f"sweep {axis}={value}: {shown}")


MEMORY_PROBE = """
import runpy, sys
result = sys.argv[1]
try:
    {run}
finally:
    # VmHWM is the peak resident memory of this program only; getrusage's ru_maxrss
    # would also count the parent's memory, inherited through fork before exec.
    with open("/proc/self/status") as status, open(result, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])
"""
ARTICLE_RUN = """
    import minilstm as ml
    from minilstm import article
    from minilstm.data import load_task
    data = load_task("sin_cos")
    model = ml.Seq2Seq(units=article.UNITS, seed=0)
    batch_size = article.BATCH_SIZE
    x, y = (data.enc_x, data.dec_x), data.dec_y
    model.fit(*x, y, epochs={epochs}, batch_size=batch_size, verbose=0)
    model.predict(data.enc_x)
    assert "tensorflow" not in sys.modules"""
DEMO_RUN = """
    sys.argv = ["minilstm.demo"]
    runpy.run_module("minilstm.demo", run_name="__main__")"""


def peak_memory_mb(run: str) -> float | None:
    """Peak resident memory (MB) of a fresh Python running ``run`` (an indented block of
    code); None where /proc is missing (not Linux) or the run failed."""
    if not Path("/proc/self/status").exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "vmhwm"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        done = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE.format(run=run), str(result)],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            check=False,
        )
        if done.returncode != 0 or not result.exists():
            return None
        return int(result.read_text()) * 1024 / 1e6


def measure_memory(sizes: Sizes, results: Results) -> None:
    """The peak memory of minilstm-only runs, each in a fresh Python, into
    ``results``."""
    results.memory["article workload, fit and decode"] = peak_memory_mb(
        ARTICLE_RUN.format(epochs=sizes.epochs)
    )
    if sizes.demo:
        results.memory["`python -m minilstm.demo`"] = peak_memory_mb(DEMO_RUN)
    for name, mb in results.memory.items():
        progress(f"peak memory, {name}: {mb} MB")


# --- the report -----------------------------------------------------------------------


def cpu_name(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's model name, as ``lscpu`` prints it, with its family and model
    numbers, which tell CPU generations apart where virtual machines show only a
    generic name such as "AMD EPYC" (Linux); else the platform's name."""
    fields: dict[str, str] = {}
    try:
        with open(cpuinfo) as lines:
            for line in lines:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    if "model name" not in fields:
        return platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        family = f"family {fields['cpu family']}, model {fields['model']}"
        return f"{fields['model name']} ({family})"
    return fields["model name"]


def load_average() -> str:
    """The load average over 1, 5 and 15 minutes, or "unknown" where the OS has none."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


# The variables that make PyTorch (ATen) and oneDNN, under PyTorch's and TensorFlow's
# LSTMs, use less than the CPU offers; NumPy's (NPY_DISABLE_CPU_FEATURES) is shown with
# its SIMD extensions.
ISA_LIMITS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")


def set_variables(names: Sequence[str]) -> list[str]:
    """Each of ``names`` that the environment sets, as NAME=value, in that order."""
    return [f"{name}={os.environ[name]}" for name in names if name in os.environ]


def blas_lines() -> list[str]:
    """The BLAS that NumPy calls, its kernel and threads, and the OpenBLAS overrides."""
    try:
        from threadpoolctl import threadpool_info

        lines = [
            f"- BLAS: {pool['internal_api']} {pool['version']}, kernel "
            f"{pool.get('architecture')}, threads: {pool['num_threads']}"
            for pool in threadpool_info()
            if pool["user_api"] == "blas"
        ]
    except ImportError:
        lines = ["- BLAS: unknown (install threadpoolctl to see which kernel runs)"]
    overrides = set_variables(OPENBLAS_OVERRIDES)
    lines.append(
        "- OpenBLAS overrides: " + (", ".join(overrides) or "none (its own choice)")
    )
    return lines


def environment() -> list[str]:
    """What the numbers depend on: versions, the BLAS and its kernel, the load."""
    load = ", load average " + load_average() if hasattr(os, "getloadavg") else ""
    simd = np.show_config(mode="dicts")["SIMD Extensions"]
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    lines = [
        f"- CPU: {cpu_name()}, {os.cpu_count()} cores ({platform.machine()}){load}",
        f"- Python {platform.python_version()}, NumPy {np.__version__}, NumPy's SIMD "
        f"extensions: {' '.join(simd['baseline'] + simd['found'])}"
        + (f" (NPY_DISABLE_CPU_FEATURES={disabled})" if disabled else ""),
    ]
    lines += blas_lines()
    # Set to run PyTorch's and oneDNN's code for an older CPU, e.g. AVX2 on an AVX-512
    # machine (docs/performance.md); shown only when set.
    limits = set_variables(ISA_LIMITS)
    if limits:
        lines.append("- instruction-set limits: " + ", ".join(limits))
    return lines


def versus(other: float, mine: float) -> str:
    """How minilstm compares with another side, from the two times: near par, where a
    target of "as fast" is decided, with two decimals."""
    if other >= mine:
        return f"{other / mine:.{2 if other < 2 * mine else 1}f}x faster"
    return f"{mine / other:.2f}x slower"


def versus_rounds(other: Sequence[float], mine: Sequence[float]) -> str:
    """``versus`` on the median of the rounds' ratios; near par, also how many rounds
    minilstm was the faster in, since one round's ratio can fall either side of 1.

    Args:
        other: the other side's seconds, one per round.
        mine: minilstm's seconds in the same rounds.
    """
    ratios = [o / m for o, m in zip(other, mine, strict=True)]
    ratio = statistics.median(ratios)
    shown = versus(ratio, 1.0)
    if 1 / 2 < ratio < 2:
        faster = sum(r > 1 for r in ratios)
        shown += f"; faster in {faster} of {len(ratios)} rounds"
    return shown


def report(results: Results, sizes: Sizes) -> str:
    """The Markdown tables."""
    out = ["# minilstm benchmark", "", *results.description]
    out.append(
        f"- medians of {sizes.rounds} rounds (sweep: {sizes.sweep_rounds}), sides "
        "alternating; a comparison of the headline is the median of its rounds' ratios"
    )
    out += ["", *(f"> {note}" for note in results.notes)] if results.notes else []

    def row(
        what: str,
        rounds: dict[Run, list[float]],
        dtype: str,
        unit: str,
        target: str,
        side: str = "minilstm",
    ) -> str:
        scale, digits = (1e3, 2) if unit == "ms" else (1, 3)
        mine = rounds[side, dtype]
        shown, ratios = [f"{statistics.median(mine) * scale:.{digits}f}"], []
        for peer in ("PyTorch", "Keras"):
            # Keras runs in its float32 only: the float64 rows compare with that.
            other = rounds.get((peer, "float32" if peer == "Keras" else dtype))
            if other is None:
                shown.append("-")
                ratios.append("-")
                continue
            shown.append(f"{statistics.median(other) * scale:.{digits}f}")
            # Round by round: the runs of a round follow each other, so they share the
            # load of a busy machine, which changes from round to round.
            ratios.append(versus_rounds(other, mine))
        cells = " | ".join(shown + ratios)
        return f"| {what}, {dtype} ({unit}) | {cells} | {target} |"

    def rows(
        what: str, rounds: dict[Run, list[float]], dtype: str, unit: str, target: str
    ) -> list[str]:
        # minilstm as the environment sets up OpenBLAS; then, where that overrides
        # OpenBLAS's choice of kernel, minilstm with the kernel OpenBLAS chooses.
        out = [row(what, rounds, dtype, unit, target)]
        if (OWN_KERNEL, dtype) in rounds:
            own = f"{what} with OpenBLAS's own kernel"
            out.append(row(own, rounds, dtype, unit, target, OWN_KERNEL))
        return out

    windows, window = article.NUM_POINTS - article.WINDOW, article.WINDOW
    decoding = f"batched decode, {windows} windows x {window} steps"
    out += [
        "",
        f"## The article's workload (sin -> cos, {windows} windows, {sizes.epochs} "
        "epochs)",
        "",
        f"`fit`: batch {article.BATCH_SIZE}, Adam, a fresh model (Keras: its "
        "first-call tracing included). Keras runs in float32, its default, in every "
        "row.",
        "",
        "| measurement | minilstm | PyTorch | Keras | minilstm vs PyTorch "
        "| minilstm vs Keras | target |",
        "|---|---|---|---|---|---|---|",
        *rows("`fit`", results.fit, "float32", "s", "as fast as PyTorch"),
        *rows("`fit`", results.fit, "float64", "s", ">= 3x Keras"),
        *rows(decoding, results.decode, "float32", "ms", ""),
        *rows(decoding, results.decode, "float64", "ms", ">= 10x Keras"),
        "",
        "## minilstm alone",
        "",
        "| measurement | minilstm | | target |",
        "|---|---|---|---|",
        "| matrix-product floor: h U and dz U^T alone, float64 (s) "
        f"| {results.floor:.3f} | `fit` float64 takes "
        f"{statistics.median(results.fit['minilstm', 'float64']) / results.floor:.1f}x "
        "the floor | |",
    ]
    for name, mb in results.memory.items():
        shown = "n/a" if mb is None else f"{mb:.0f}"
        out.append(f"| peak memory (MB), {name} | {shown} | | < 300 |")

    if results.sweep:
        out += [
            "",
            f"## Scaling: one training epoch, warm ({sizes.sweep_windows} windows; the "
            "other settings at the article's)",
            "",
            "| varied | value | minilstm (ms) | growth | Keras (ms) | growth "
            "| minilstm vs Keras |",
            "|---|---|---|---|---|---|---|",
        ]
        first: dict[str, dict[str, float]] = {}
        for axis, value, medians in results.sweep:
            base = first.setdefault(axis, medians)
            cells = []
            for side in SWEEP_SIDES:
                if side in medians:
                    cells += [
                        f"{medians[side] * 1e3:.1f}",
                        f"{medians[side] / base[side]:.1f}x",
                    ]
                else:
                    cells += ["-", "-"]
            ratio = (
                versus(medians["Keras"], medians["minilstm"])
                if "Keras" in medians
                else "-"
            )
            out.append(f"| {axis} | {value} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(out) + "\n"


def plot(results: Results, path: Path) -> None:
    """The sweep: time per epoch against each varied setting, both sides, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    names = list(dict.fromkeys(axis for axis, _, _ in results.sweep))
    labels = {
        "window": "sequence length T",
        "units": "units H",
        "batch_size": "batch size",
    }
    fig, axes = plt.subplots(
        1, len(names), figsize=(4.2 * len(names), 3.8), squeeze=False
    )
    for ax, name in zip(axes[0], names, strict=True):
        rows = [
            (value, medians) for axis, value, medians in results.sweep if axis == name
        ]
        values = [value for value, _ in rows]
        for side, style in zip(SWEEP_SIDES, ("o-", "s--"), strict=True):
            if side in rows[0][1]:
                ax.plot(values, [m[side] * 1e3 for _, m in rows], style, label=side)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(values, [str(v) for v in values])
        ax.minorticks_off()
        # Ticks at 1, 2 and 5 of every decade, as plain numbers: a sweep spans few
        # decades.
        ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.set_xlabel(labels.get(name, name))
        ax.set_ylabel("ms per epoch")
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle("Time of one training epoch, one setting varied from the article's")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def progress(message: str) -> None:
    """One line of progress on stderr, leaving stdout to the report."""
    print(f"  {message}", file=sys.stderr, flush=True)


# --- the command line -----------------------------------------------------------------


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
        help="rounds per side for the medians (default 5)",
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
        "--out",
        type=writable_folder,
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
        sizes = replace(sizes, rounds=args.rounds)
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
        if set_variables(OPENBLAS_OVERRIDES) and not args.no_own_kernel:
            worker = Worker(OWN_KERNEL, unset=OPENBLAS_OVERRIDES)
            workers[OWN_KERNEL] = worker
            results.description.append(
                f'- rows "with OpenBLAS\'s own kernel": minilstm in a process '
                f"started without {', '.join(OPENBLAS_OVERRIDES)}; there, "
                + "; ".join(line.removeprefix("- ") for line in worker("blas"))
            )
        for side, (left_out, flag, what, extra) in optional.items():
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
        measure(sizes, workers, results)
        # The load can change within a run: a busy machine slows every side unevenly.
        results.description.append(f"- load average at the end: {load_average()}")
    finally:
        for worker in workers.values():
            worker.close()
    measure_memory(sizes, results)

    text = report(results, sizes)
    print(text)
    (args.out / "results.md").write_text(text)
    written = [args.out / "results.md"]
    if results.sweep:
        plot(results, args.out / "sweep.png")
        written.append(args.out / "sweep.png")
    print("Wrote " + " and ".join(str(p) for p in written))


if __name__ == "__main__":
    sys.exit(run(main, PROG))
