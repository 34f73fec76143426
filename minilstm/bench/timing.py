"""The clock: wall time of a call, the order the sides take turns in, and the floor a
training run cannot go below with the same BLAS."""

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

Side = TypeVar("Side")  # a side's name, or a side and its dtype


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


def alternate(rounds: int, sides: Sequence[Side]) -> list[Side]:
    """The order of the measurements: each round runs every side, the first side
    alternating from round to round, so that neither always runs first."""
    order = []
    for r in range(rounds):
        order += list(sides) if r % 2 == 0 else list(reversed(sides))
    return order


def matmul_floor(
    epochs: int,
    n: int,
    batch_size: int,
    window: int,
    units: int,
    dtype: str = "float64",
    weight_gradient: bool = False,
) -> float:
    """Seconds of the recurrent matrix products of a training run alone: per batch, the
    encoder's and the decoder's h U at every step forward and dz U^T at every step
    backward, into preallocated arrays, with the same BLAS as minilstm.

    Args:
        epochs: epochs of the run.
        n: training windows.
        batch_size: windows per batch (the last batch takes the rest).
        window: steps T of the encoder and of the decoder.
        units: units H; U is (H, 4H).
        dtype: "float32" or "float64".
        weight_gradient: also each LSTM's recurrent weight gradient of each batch, the
            one product (T*N, H)^T (T*N, 4H) that ``lstm_backward`` makes after its
            loop: as many multiply-adds as all the steps' h U.

    Returns:
        the median of 3 timed runs, in seconds.
    """
    rng = np.random.default_rng(0)
    U = rng.normal(size=(units, 4 * units)).astype(dtype)
    batches = [min(batch_size, n - s) for s in range(0, n, batch_size)]
    buffers = {
        b: (
            rng.normal(size=(b, units)).astype(dtype),
            np.empty((b, 4 * units), dtype=dtype),
            rng.normal(size=(b, 4 * units)).astype(dtype),
        )
        for b in set(batches)
    }
    gradients = {
        b: (
            rng.normal(size=(window * b, units)).astype(dtype),
            rng.normal(size=(window * b, 4 * units)).astype(dtype),
            np.empty((units, 4 * units), dtype=dtype),
        )
        for b in (set(batches) if weight_gradient else ())
    }

    def run() -> None:
        for _ in range(epochs):
            for b in batches:
                h, z, dz = buffers[b]
                for _ in range(2 * window):  # encoder and decoder, forward
                    np.matmul(h, U, out=z)
                for _ in range(2 * window):  # decoder and encoder, backward
                    np.matmul(dz, U.T, out=h)
                if weight_gradient:
                    hs, dzs, dU = gradients[b]
                    for _ in range(2):  # decoder and encoder
                        np.matmul(hs.T, dzs, out=dU)

    return seconds_of(run, repeats=3)
