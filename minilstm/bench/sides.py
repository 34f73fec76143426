"""minilstm's side of the bench: its measurements, each a method that a worker process
calls (``minilstm.bench.workers``)."""

import functools
import statistics
import timeit
from collections.abc import Callable
from typing import Any

import numpy as np

import minilstm as ml
from minilstm.attention import additive_attention_backward, additive_attention_forward
from minilstm.bench.machine import blas_lines, environment
from minilstm.bench.timing import matmul_floor, seconds_of
from minilstm.bench.workloads import ARTICLE, Data, article_data


class MinilstmSide:
    """The measurements of minilstm (float64, its default, unless told)."""

    name = "minilstm"

    def __init__(self) -> None:
        self.epochs: dict[str, Callable[[], Any]] = {}

    def fit_seconds(
        self,
        epochs: int,
        seed: int,
        dtype: str = "float64",
        attention: str | None = None,
    ) -> float:
        """A fresh model's ``fit`` on the article's workload (with ``attention``)."""
        data = article_data()
        model = ml.Seq2Seq(
            units=data.units, seed=seed, dtype=np.dtype(dtype), attention=attention
        )
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

    def additive_seconds(self, dtype: str, repeats: int) -> dict[str, float]:
        """One batch of the article's additive attention, and three pieces of its
        forward: the pairs q_t + v_j, their tanh, the scores; the seconds of one call
        of each, the median of 5 runs of ``repeats`` calls in a row (as in ``fit``, one
        batch after another, with no garbage collection between them).

        Args:
            dtype: "float32" or "float64".
            repeats: calls in a row of each, per run.
        """
        rng = np.random.default_rng(0)
        n, t, h = ARTICLE["batch_size"], ARTICLE["window"], ARTICLE["units"]
        # Hidden states in (-1, 1), time-major arrays seen batch-major, as the model's.
        query, value = (
            np.tanh(rng.normal(size=(t, n, h))).astype(dtype).transpose(1, 0, 2)
            for _ in range(2)
        )
        scale = rng.normal(size=h).astype(dtype)

        def make_pairs() -> np.ndarray:  # as the forward makes them
            return np.add(query[:, :, None, :], value[:, None, :, :], order="C")

        pairs = make_pairs()
        context, cache = additive_attention_forward(query, value, scale)
        dcontext = rng.normal(size=context.shape).astype(dtype)
        pieces = {
            "pairs": make_pairs,
            "tanh": lambda: np.tanh(pairs, out=pairs),
            "scores": lambda: pairs @ scale,
            "forward": lambda: additive_attention_forward(query, value, scale),
            "backward": lambda: additive_attention_backward(dcontext, cache),
        }
        runs = {
            name: timeit.repeat(fn, number=repeats, repeat=5)
            for name, fn in pieces.items()
        }
        return {
            name: statistics.median(times) / repeats for name, times in runs.items()
        }

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

    def prepare_epoch(
        self, data: Data, batch_size: int, dtype: str = "float64"
    ) -> None:
        """Make a model in ``dtype`` that ``epoch_seconds(dtype)`` trains, one epoch a
        call, and train its first epoch; one model per dtype lives here at a time.

        Args:
            data: the training arrays and the units.
            batch_size: windows per batch.
            dtype: the model's dtype.
        """
        model = ml.Seq2Seq(units=data.units, seed=0, dtype=np.dtype(dtype))
        optimizer = ml.Adam()
        epoch = functools.partial(
            model.fit,
            data.enc_x,
            data.dec_x,
            data.dec_y,
            epochs=1,
            batch_size=batch_size,
            optimizer=optimizer,
            verbose=0,
        )
        self.epochs[dtype] = epoch
        epoch()

    def epoch_seconds(self, dtype: str = "float64") -> float:
        return seconds_of(self.epochs[dtype])

    def epoch_floor_seconds(self, data: Data, batch_size: int, dtype: str) -> float:
        """The matrix-product floor of one epoch on ``data``, the recurrent weight
        gradient included (``matmul_floor``)."""
        n, window = data.enc_x.shape[:2]
        return matmul_floor(
            1, n, batch_size, window, data.units, dtype, weight_gradient=True
        )

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
