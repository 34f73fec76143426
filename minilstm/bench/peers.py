"""The bench's peers: the same measurements as minilstm's side
(``minilstm.bench.sides``) of the Keras reference and of PyTorch. Each library is
imported only when its side is made, in the side's own worker process."""

import functools
import gc
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import minilstm as ml
from minilstm.bench.timing import seconds_of
from minilstm.bench.workloads import ARTICLE, Data, article_data


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
        self.epochs: dict[str, Callable[[], None]] = {}
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

    def trainer(
        self, data: Data, batch_size: int, dtype: str, seed: int
    ) -> Callable[[int, int], None]:
        """A fresh model and its Adam, and the plain loop that trains them on ``data``.

        Args:
            data: the training arrays and the units.
            batch_size: windows per batch.
            dtype: "float32" or "float64".
            seed: PyTorch's random seed, for the initial weights, and the batch order's.

        Returns:
            ``train(first, stop)``, which trains the epochs first to stop - 1, each in a
            fresh order of the windows drawn as minilstm's ``fit`` draws it.
        """
        torch = self.torch
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
        enc_x, dec_x, dec_y = (
            torch.from_numpy(a).to(getattr(torch, dtype))
            for a in (data.enc_x, data.dec_x, data.dec_y)
        )
        n = len(enc_x)

        def train(first: int, stop: int) -> None:
            for epoch in range(first, stop):
                rng = np.random.default_rng([seed, epoch])
                order = torch.from_numpy(rng.permutation(n))
                for start in range(0, n, batch_size):
                    batch = order[start : start + batch_size]
                    optimizer.zero_grad()
                    loss(model(enc_x[batch], dec_x[batch]), dec_y[batch]).backward()
                    optimizer.step()

        return train

    def fit_seconds(self, epochs: int, seed: int, dtype: str = "float32") -> float:
        """A fresh model trained on the article's workload in batches of its size.

        Args:
            epochs: epochs to train.
            seed: PyTorch's random seed, for the initial weights, and the batch order's.
            dtype: "float32" or "float64".

        Returns:
            The seconds the training loop took.
        """
        train = self.trainer(article_data(), ARTICLE["batch_size"], dtype, seed)
        return seconds_of(lambda: train(0, epochs))

    def prepare_epoch(
        self, data: Data, batch_size: int, dtype: str = "float32"
    ) -> None:
        """Make a model in ``dtype`` that ``epoch_seconds(dtype)`` trains, one epoch a
        call, and train its first epoch.

        Args:
            data: the training arrays and the units.
            batch_size: windows per batch.
            dtype: "float32" or "float64".
        """
        self.epochs[dtype] = functools.partial(
            self.trainer(data, batch_size, dtype, seed=0), 0, 1
        )
        self.epochs[dtype]()

    def epoch_seconds(self, dtype: str = "float32") -> float:
        return seconds_of(self.epochs[dtype])

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
