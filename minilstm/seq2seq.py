"""The encoder-decoder: an encoder LSTM hands its final states to a decoder LSTM, whose
every step goes through a Dense layer (docs/encoder-decoder.md). The two recurrent
layers can also be GRUs or plain RNNs (``cell``), to compare the cells
(docs/why-gates.md).

Shapes: N windows, T_enc and T_dec time steps, D = input_dim, O = output_dim, H = units.
The decoder reads the previous target value at each step, so its input has O features.
"""

import os
import time
from collections.abc import Callable

import numpy as np

from minilstm import decoding, divergence, optimizers, saving, schedules
from minilstm.article import UNITS
from minilstm.attention import ATTENTIONS, Attention, make_attention
from minilstm.dense import Dense
from minilstm.layers import GRU, LSTM, Recurrent, SimpleRNN
from minilstm.losses import mse_backward, mse_forward
from minilstm.validation import (
    check_array,
    check_bool,
    check_choice,
    check_dtype,
    check_float,
    check_int,
    check_seed,
    check_weights,
)

# The recurrent layer of each ``Seq2Seq(cell=...)``.
RECURRENT_LAYERS: dict[str, type[Recurrent]] = {
    "lstm": LSTM,
    "gru": GRU,
    "rnn": SimpleRNN,
}


class Seq2Seq:
    """The article's model: an encoder that hands its final states ((h, c) for the
    LSTM) to a decoder of the same kind, and a Dense layer on every decoder step. The
    recurrent layers are LSTMs unless ``cell`` says otherwise.

    Args:
        units: H, the units of the encoder and of the decoder.
        input_dim: D, features of the encoder input.
        output_dim: O, features of the target (and so of the decoder input).
        seed: fixes the initial weights and the shuffling in ``fit`` (None: fresh
            randomness, whose seed is then kept in ``seed`` so that the run can be
            repeated).
        dtype: float64 (default) or float32.
        cell: "lstm" (default, the article's), "gru" or "rnn" (``SimpleRNN``): the
            encoder's and the decoder's layer. A NumPy string scalar such as
            ``np.array("gru")`` (a setting read back with ``np.load``) is taken as its
            text.
        attention: None (default, the article's), "dot" (Keras's ``Attention()``) or
            "additive" (``AdditiveAttention()``): the decoder's outputs attend over
            the encoder's, and the Dense layer reads [h_t, context_t], its kernel
            (2H, O) (docs/attention.md).

    Attributes:
        encoder, decoder, attention_layer (None without attention), dense: the
            layers, also listed in ``layers`` in the order they run.
        optimizer: the optimizer of the last ``fit`` (None before), reused by the next
            one.
        completed_epochs: the epochs trained so far, the ``initial_epoch`` to resume at;
            ``save`` stores it together with the optimizer's state.
    """

    def __init__(
        self,
        units: int = UNITS,
        input_dim: int = 1,
        output_dim: int = 1,
        seed: int | None = 0,
        dtype: np.dtype = np.float64,
        cell: str = "lstm",
        attention: str | None = None,
    ) -> None:
        self.cell = check_choice(cell, "cell", tuple(RECURRENT_LAYERS))
        self.attention = check_choice(attention, "attention", (None, *ATTENTIONS))
        self.units = check_int(units, "units")
        self.input_dim = check_int(input_dim, "input_dim")
        self.output_dim = check_int(output_dim, "output_dim")
        self.dtype = check_dtype(dtype)
        seed = check_seed(seed)
        self.seed = int(np.random.SeedSequence().entropy if seed is None else seed)
        # The first three children are the same however many are spawned: a model
        # without attention starts with the weights it had before attention existed.
        enc_seed, dec_seed, dense_seed, attention_seed = (
            int(s.generate_state(1)[0])
            for s in np.random.SeedSequence(self.seed).spawn(4)
        )
        layer = RECURRENT_LAYERS[self.cell]
        self.encoder = layer(units, return_state=True, seed=enc_seed, dtype=self.dtype)
        self.decoder = layer(
            units,
            return_sequences=True,
            return_state=True,
            seed=dec_seed,
            dtype=self.dtype,
        )
        self.dense = Dense(output_dim, seed=dense_seed, dtype=self.dtype)
        self.encoder.build(self.input_dim)
        self.decoder.build(self.output_dim)
        self.attention_layer: Attention | None = make_attention(
            self.attention, self.units, attention_seed, self.dtype
        )
        # With attention the Dense layer reads [h_t, context_t]: 2H features.
        self.dense.build(self.units * (1 if self.attention is None else 2))
        named = self._named_layers().values()
        self.layers = [layer for layer in named if layer is not None]
        self.optimizer: optimizers.Optimizer | None = None
        self.completed_epochs = 0
        # The per-step caches of a sampled decoder run (None after a teacher-forced).
        self._sampled_steps: list | None = None

    @staticmethod
    def weight_shapes(
        units: int,
        input_dim: int,
        output_dim: int,
        cell: str = "lstm",
        attention: str | None = None,
    ) -> list[tuple[int, ...]]:
        """The shapes of the 8 weights, in ``get_weights`` order, as the layers give
        them, without making a model (``saving`` checks a file against them).

        Args:
            units: H.
            input_dim: D.
            output_dim: O.
            cell: "lstm", "gru" or "rnn".
            attention: None, "dot" or "additive": with attention the Dense kernel is
                (2H, O), and the additive attention's ``scale`` (H,) comes before it.

        Returns:
            for an LSTM (D, 4H), (H, 4H), (4H,) for the encoder; (O, 4H), (H, 4H),
            (4H,) for the decoder; (H, O), (O,) for the Dense layer. A GRU has 3H
            columns and a bias (2, 3H), a plain RNN H columns.
        """
        layer = RECURRENT_LAYERS[check_choice(cell, "cell", tuple(RECURRENT_LAYERS))]
        attention = check_choice(attention, "attention", (None, *ATTENTIONS))
        attends = ATTENTIONS[attention].weight_shapes(units) if attention else []
        return [
            *layer.weight_shapes(input_dim, units),
            *layer.weight_shapes(output_dim, units),
            *attends,
            *Dense.weight_shapes(units * (1 if attention is None else 2), output_dim),
        ]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """The 8 weight arrays themselves (not copies; 9 with additive attention, its
        ``scale`` after the decoder's), in ``get_weights`` order; an optimizer updates
        them in place."""
        return [w for layer in self.layers for w in layer.trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the 8 weights, each layer's [kernel, recurrent_kernel, bias],
        [scale] or [kernel, bias] in turn: the order of Keras's
        ``model.get_weights()``, the shapes of ``weight_shapes``."""
        return [w.copy() for w in self.trainable_weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the 8 weights, copying them; all are checked before any is set.

        Args:
            weights: 8 arrays in ``get_weights`` order and shapes.
        """
        shapes = [w.shape for w in self.trainable_weights]
        weights = check_weights(weights, "weights", shapes, self.dtype)
        for layer in self.layers:
            n = len(layer.trainable_weights)
            layer.set_weights(weights[:n])
            weights = weights[n:]

    def count_params(self) -> int:
        """The number of trainable numbers (46,276 for the article's model)."""
        return sum(w.size for w in self.trainable_weights)

    def _check_data(self, *arrays: np.ndarray) -> list[np.ndarray]:
        # enc_x, then dec_x and dec_y if given: one batch size N for all of them, one
        # number of steps T_dec for the decoder's input and target.
        names = ("enc_x", "dec_x", "dec_y")
        shapes = [("N", "T_enc", self.input_dim)] + [
            ("N", "T_dec", self.output_dim)
        ] * 2
        sizes = {}
        return [
            check_array(a, name, shape, self.dtype, sizes)
            for a, name, shape in zip(arrays, names, shapes, strict=False)
        ]

    # --8<-- [start:forward]
    def call(
        self, enc_x: np.ndarray, dec_x: np.ndarray, teacher: np.ndarray | None = None
    ) -> np.ndarray:
        """The forward pass, each layer's ``call`` in turn; unchecked: ``forward``
        checks, then calls this.

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            dec_x: (N, T_dec, O) decoder inputs, the targets shifted right by one step.
            teacher: None, teacher-forced: the decoder reads the true previous values.
                Else (N, T_dec) booleans, scheduled sampling: where False, the decoder
                reads its own previous prediction instead (``decode_sampled``).

        Returns:
            y: (N, T_dec, O), the prediction of every decoder step.
        """
        zeros = self.encoder.zero_states(len(enc_x))
        enc_hs, enc_states = self.encoder.call(enc_x, zeros)
        # The decoder starts from the encoder's final states: all it knows of the input,
        # unless its outputs also attend over every step of the encoder's.
        if teacher is not None:
            y, self._sampled_steps = decoding.decode_sampled(
                self.decoder,
                self.attention_layer,
                self.dense,
                dec_x,
                enc_states,
                teacher,
                enc_hs,
            )
            return y
        self._sampled_steps = None
        dec_hs, _ = self.decoder.call(dec_x, enc_states)
        if self.attention_layer is None:
            return self.dense.call(dec_hs)
        context = self.attention_layer.call(dec_hs, enc_hs)
        return self.dense.call(np.concatenate((dec_hs, context), axis=-1))

    # --8<-- [end:forward]
    # --8<-- [start:backward]
    def backprop(self, dy: np.ndarray) -> list[np.ndarray]:
        """Backward of the last ``call``: each layer's ``backprop`` in reverse.

        Args:
            dy: (N, T_dec, O) gradient on y.

        Returns:
            the gradients of the 8 weights, aligned with ``get_weights()``. (The inputs
            are data, so they need none.)
        """
        if self._sampled_steps is not None:
            dstates, enc_dhs = decoding.decode_sampled_backprop(
                self.decoder, self.attention_layer, self.dense, dy, self._sampled_steps
            )
        else:
            dhs, enc_dhs = self.dense.backprop(dy), None
            if self.attention_layer is not None:
                # The Dense layer read [h_t, context_t]; h_t was the attention's query.
                H = self.units
                dquery, enc_dhs = self.attention_layer.backprop(dhs[..., H:])
                dhs = dhs[..., :H] + dquery
            # Nothing used the decoder's final states: no gradient on them.
            _, dstates = self.decoder.backprop(dhs, None)
        # The decoder started from the encoder's final states, so their gradients flow
        # back into the encoder as gradients on its last h (and c); its outputs get one
        # only as the attention's value.
        self.encoder.backprop(enc_dhs, dstates)
        return [g for layer in self.layers for g in layer.grads.values()]

    # --8<-- [end:backward]

    def forward(self, enc_x: np.ndarray, dec_x: np.ndarray) -> np.ndarray:
        """Teacher-forced forward pass (``call``) with the model's weights.

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            dec_x: (N, T_dec, O) decoder inputs, the targets shifted right by one step.

        Returns:
            y: (N, T_dec, O) the prediction of every decoder step.
        """
        return self.call(*self._check_data(enc_x, dec_x))

    # --8<-- [start:loss_and_grads]
    def loss_and_grads(
        self,
        enc_x: np.ndarray,
        dec_x: np.ndarray,
        dec_y: np.ndarray,
        teacher: np.ndarray | None = None,
    ) -> tuple[float, list[np.ndarray]]:
        """The MSE of a forward pass and its gradient on all 8 weights.

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            dec_x: (N, T_dec, O) decoder inputs.
            dec_y: (N, T_dec, O) targets.
            teacher: None (teacher-forced), or (N, T_dec) booleans: where False the
                decoder reads its own previous prediction, as a constant (``call``).

        Returns:
            loss (a float) and 8 gradients aligned with ``get_weights()``.
        """
        enc_x, dec_x, dec_y = self._check_data(enc_x, dec_x, dec_y)
        if teacher is not None:
            teacher = np.asarray(teacher)
            if teacher.dtype != np.bool_ or teacher.shape != dec_x.shape[:2]:
                raise ValueError(
                    f"teacher must be booleans of shape (N, T_dec) = {dec_x.shape[:2]}"
                    f"; got dtype {teacher.dtype} and shape {teacher.shape}"
                )
        return self._loss_and_grads(enc_x, dec_x, dec_y, teacher)

    def _loss_and_grads(
        self,
        enc_x: np.ndarray,
        dec_x: np.ndarray,
        dec_y: np.ndarray,
        teacher: np.ndarray | None = None,
    ) -> tuple[float, list[np.ndarray]]:
        # What loss_and_grads computes once the data are checked; fit checks its
        # arrays once and calls this for every batch.
        y = self.call(enc_x, dec_x, teacher)
        loss, loss_cache = mse_forward(y, dec_y)
        grads = self.backprop(mse_backward(1.0, loss_cache))
        return loss, grads

    # --8<-- [end:loss_and_grads]
    def evaluate(
        self, enc_x: np.ndarray, dec_x: np.ndarray, dec_y: np.ndarray
    ) -> float:
        """The teacher-forced MSE.

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            dec_x: (N, T_dec, O) decoder inputs.
            dec_y: (N, T_dec, O) targets.

        Returns:
            the loss, a float.
        """
        enc_x, dec_x, dec_y = self._check_data(enc_x, dec_x, dec_y)
        return mse_forward(self.call(enc_x, dec_x), dec_y)[0]

    # --8<-- [start:fit]
    def fit(
        self,
        enc_x: np.ndarray,
        dec_x: np.ndarray,
        dec_y: np.ndarray,
        epochs: int = 1,
        batch_size: int = 32,
        optimizer: "str | optimizers.Optimizer | None" = None,
        shuffle: bool = True,
        verbose: int = 1,
        initial_epoch: int = 0,
        teacher_forcing: "float | str | Callable[[int], float]" = 1.0,
    ) -> divergence.History:
        """Train with minibatches, as Keras's ``fit([enc_x, dec_x], dec_y)``.

        Each epoch visits the N windows once, in batches of ``batch_size`` (the last
        may be smaller), shuffled by a generator seeded from the model's seed and the
        epoch number: the same seed gives the same run, and resumed training sees the
        orders an uninterrupted run would have seen.

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            dec_x: (N, T_dec, O) decoder inputs.
            dec_y: (N, T_dec, O) targets.
            epochs: train until this epoch number (Keras's meaning, with
                ``initial_epoch``).
            batch_size: windows per gradient step.
            optimizer: an ``Optimizer`` or a Keras name ("adam", "rmsprop", "sgd"); None
                keeps the model's optimizer from an earlier ``fit``, or makes
                ``Adam()``.
            shuffle: shuffle the windows every epoch.
            verbose: 0 (or False) silent; 1, 2, "auto" (or True) one line per epoch.
            initial_epoch: the epoch to start at, when resuming (``completed_epochs``
                after an earlier ``fit`` or a ``load``).
            teacher_forcing: the probability that a decoder step reads the true
                previous value rather than the model's own previous prediction
                (scheduled sampling, docs/scheduled-sampling.md): a number in [0, 1],
                or a schedule of the step, a callable of the optimizer's
                ``iterations`` (``minilstm.schedules``; a text such as
                "inverse_sigmoid:40" is read by ``schedules.get``). Each window's
                steps draw their coins from a generator seeded by the model's seed,
                the epoch and the batch, so a resumed run draws the same ones. 1
                (default): teacher forcing, the batched decoder.

        Returns:
            a ``History``: ``history["loss"]`` is the mean loss of each epoch, each
            batch weighted by its size, as Keras reports it.

        Raises:
            ValueError: a bad argument, or an optimizer that stepped on another model
                (refused before any step).
            TrainingDivergedError: the loss, a gradient, a weight or an optimizer slot
                stopped being finite; the model and the optimizer keep the state of the
                last finite step.
        """
        enc_x, dec_x, dec_y = self._check_data(enc_x, dec_x, dec_y)
        epochs = check_int(epochs, "epochs", minimum=0)
        batch_size = check_int(batch_size, "batch_size")
        shuffle = check_bool(shuffle, "shuffle")
        verbose = check_choice(verbose, "verbose", (0, 1, 2, "auto"))
        initial_epoch = check_int(
            initial_epoch, "initial_epoch", minimum=0, maximum=epochs
        )
        if not callable(teacher_forcing):
            if not isinstance(teacher_forcing, str):
                teacher_forcing = check_float(
                    teacher_forcing, "teacher_forcing", low_open=False, high=1.0
                )
            teacher_forcing = schedules.get(teacher_forcing)
        if optimizer is not None or self.optimizer is None:
            optimizer = optimizers.get(optimizer or "adam")
        else:
            optimizer = self.optimizer
        # An optimizer that stepped on another model is refused here, before any step.
        optimizer.build(self.trainable_weights)
        self.optimizer = optimizer
        n = len(enc_x)
        settings = {"epochs": epochs, "batch_size": batch_size, "samples": n}
        history = divergence.History(settings)
        names = divergence.weight_names(self._named_layers())
        for epoch in range(initial_epoch, epochs):
            start_time = time.perf_counter()
            rng = np.random.default_rng([self.seed, epoch])
            order = rng.permutation(n) if shuffle else np.arange(n)
            batches = [order[k : k + batch_size] for k in range(0, n, batch_size)]
            total = 0.0
            for b, batch in enumerate(batches):
                teacher = decoding.coins(
                    teacher_forcing,
                    self.optimizer.iterations,
                    [self.seed, epoch, b],
                    dec_x[batch].shape[:2],
                )
                # A diverging run overflows; finite_step reports it as such.
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    loss, grads = self._loss_and_grads(
                        enc_x[batch], dec_x[batch], dec_y[batch], teacher
                    )
                    problem = divergence.finite_step(
                        self.optimizer, self.trainable_weights, names, loss, grads
                    )
                if problem:
                    where = f"epoch {epoch + 1}/{epochs}, batch {b + 1}/{len(batches)}"
                    raise divergence.diverged(problem, where, epoch, b, history)
                total += loss * len(batch)
            history.history["loss"].append(total / n)
            history.epoch.append(epoch)
            self.completed_epochs = epoch + 1
            if verbose:
                seconds = time.perf_counter() - start_time
                print(
                    f"Epoch {epoch + 1}/{epochs} - {seconds:.2f}s - loss: "
                    f"{total / n:.4e}",
                    flush=True,
                )
        return history

    # --8<-- [end:fit]
    def _named_layers(self) -> dict[str, object]:
        # The layers by name in the order they run; None for a missing attention.
        names = ("encoder", "decoder", "attention", "dense")
        layers = (self.encoder, self.decoder, self.attention_layer, self.dense)
        return dict(zip(names, layers, strict=True))

    # --8<-- [start:predict]
    # assignment: predict
    def predict(self, enc_x: np.ndarray, steps: int | None = None) -> np.ndarray:
        """Autoregressive decoding of a batch of windows, as done after training.

        The decoder starts from the encoder's states and a zero input; at each step its
        prediction becomes the next step's input (docs/inference.md). With attention,
        each step's h attends over the encoder's outputs, computed once; the weights
        of every step are then in ``attention_layer.attention_scores``
        (N, steps, T_enc).

        Args:
            enc_x: (N, T_enc, D) encoder inputs.
            steps: how many values to generate (default T_enc).

        Returns:
            y: (N, steps, O) the predictions.
        """
        (enc_x,) = self._check_data(enc_x)
        steps = enc_x.shape[1] if steps is None else check_int(steps, "steps")
        N, T_enc = enc_x.shape[:2]
        # Nothing goes backward here, so the steps' caches are dropped as soon as they
        # are made: the encoder too runs step by step (docs/performance.md). states is
        # (h, c) for the LSTM, (h,) for the others.
        states = self.encoder.zero_states(N)
        enc_hs = np.empty((N, T_enc, self.units), dtype=self.dtype)
        for t in range(T_enc):
            states = self.encoder.step(enc_x[:, t], states)
            enc_hs[:, t] = states[0]  # the value the decoder's steps attend over
        y_prev = np.zeros((N, self.output_dim), dtype=self.dtype)
        y = np.empty((N, steps, self.output_dim), dtype=self.dtype)
        a = np.empty((N, steps, T_enc), dtype=self.dtype)
        for t in range(steps):
            states = self.decoder.step(y_prev, states)
            y_prev, cache = decoding.output_step(
                self.attention_layer, self.dense, states[0], enc_hs
            )
            if cache.attention is not None:
                a[:, t] = cache.attention.a[:, 0]
            y[:, t] = y_prev
        if self.attention_layer is not None:
            self.attention_layer.attention_scores = a
        return y

    # --8<-- [end:predict]

    def save(self, path: str | os.PathLike, include_optimizer: bool = True) -> None:
        """Write the model to one ``.npz`` file: its settings, weights,
        ``completed_epochs`` and, with ``include_optimizer``, the optimizer's settings
        and state, so that training resumes with identical results. An existing file is
        replaced only once the new one is complete. File format: ``minilstm.saving``.

        Args:
            path: the file to write (usually ending in ``.npz``).
            include_optimizer: also store the optimizer of the last ``fit``.
        """
        config = {
            "units": self.units,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "dtype": self.dtype.name,
            "seed": self.seed,
        }
        if self.cell != "lstm":  # an LSTM's file stays as older minilstm wrote it
            config["cell"] = self.cell
        if self.attention is not None:  # and one without attention as before it
            config["attention"] = self.attention
        optimizer = self.optimizer if include_optimizer else None
        contents = saving.ModelFile(
            config, self.trainable_weights, self.completed_epochs, optimizer
        )
        saving.save_model(path, contents)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Seq2Seq":
        """The model saved at ``path`` by ``save``, with its optimizer if it was saved.
        Never runs code from the file: it holds only float arrays and a JSON text, and
        every size it states is checked against its settings before anything is
        allocated.

        Args:
            path: the file ``save`` wrote.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is not a minilstm model, is damaged, claims more than
                its settings imply, or comes from a newer minilstm; the message names
                the file, the problem and, where one is to blame, the member.
        """
        contents = saving.load_model(path, cls.weight_shapes)
        model = cls(**contents.config)
        model.set_weights(contents.weights)
        model.completed_epochs = contents.completed_epochs
        model.optimizer = contents.optimizer
        return model
