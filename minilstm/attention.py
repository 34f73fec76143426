"""Attention: each query step takes a weighted mean of the value steps, forward and
backward.

Shapes: N batch, Tq query steps (the decoder's), Tv value steps (the encoder's), dim
features of both (the units H of a seq2seq model). As in Keras, the value is also the
key: the steps are scored against the values they average (docs/attention.md).

    s = score(q, v)        (N, Tq, Tv)    a score for each query step and value step
    a = softmax(s)         (N, Tq, Tv)    over the Tv axis: each row sums to 1
    context = a v          (N, Tq, dim)   a weighted mean of the value steps

with two scores, Keras's ``Attention()`` and ``AdditiveAttention()`` with their
defaults:

    dot       s_tj = sum_k q_tk v_jk                         (Luong et al. 2015)
    additive  s_tj = sum_k scale_k tanh(q_tk + v_jk)         (Bahdanau et al. 2015)

``scale`` (dim,) is the additive score's only weight. The backward functions mirror the
forward ones line by line in reverse; the layers at the bottom wrap them with Keras's
interface.
"""

# The page includes the imports with the first block, so that its blocks run as shown.
# --8<-- [start:softmax]
from typing import NamedTuple

import numpy as np

from minilstm.validation import (
    check_array,
    check_bool,
    check_dtype,
    check_int,
    check_seed,
    check_weights,
)


# assignment: attention_forward
def softmax(s: np.ndarray) -> np.ndarray:
    """The softmax over the last axis: a_j = e^(s_j) / sum_k e^(s_k).

    Args:
        s: (N, Tq, Tv) scores.

    Returns:
        a: (N, Tq, Tv), each row positive and summing to 1.
    """
    # softmax(s) = softmax(s - c) for any c; with c the row's largest score every
    # exponent is <= 0, so no e^s overflows, however large the scores.
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# assignment: attention_backward
def softmax_backward(da: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Backward of ``softmax``, from its output a (docs/attention.md).

    da_j/ds_i = a_j (1[i = j] - a_i): the diagonal term a_i da_i, and a cross term,
    since every weight of a row shares the same denominator:

        ds_i = a_i da_i - a_i sum_j a_j da_j = a_i (da_i - sum_j a_j da_j)

    Args:
        da: (N, Tq, Tv) gradient on the weights a.
        a: (N, Tq, Tv) the forward's output.

    Returns:
        ds: (N, Tq, Tv), the gradient on the scores.
    """
    return a * (da - np.sum(a * da, axis=-1, keepdims=True))


# --8<-- [end:softmax]
# --8<-- [start:dot]


class DotCache(NamedTuple):
    """What ``dot_attention_backward`` needs from ``dot_attention_forward``."""

    query: np.ndarray  # (N, Tq, dim)
    value: np.ndarray  # (N, Tv, dim)
    a: np.ndarray  # (N, Tq, Tv) attention weights


# assignment: attention_forward
def dot_attention_forward(
    query: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, DotCache]:
    """Dot-product attention, Keras's ``Attention()``.

    Args:
        query: (N, Tq, dim) q, e.g. the decoder's hidden states.
        value: (N, Tv, dim) v, e.g. the encoder's hidden states (also the key).

    Returns:
        context: (N, Tq, dim), and the cache for ``dot_attention_backward``
        (its ``a`` holds the attention weights).
    """
    s = query @ value.transpose(0, 2, 1)
    a = softmax(s)
    context = a @ value
    return context, DotCache(query, value, a)


# assignment: attention_backward
def dot_attention_backward(
    dcontext: np.ndarray, cache: DotCache
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of ``dot_attention_forward``.

    Args:
        dcontext: (N, Tq, dim) gradient on the context.
        cache: the forward's ``DotCache``.

    Returns:
        dquery (N, Tq, dim), dvalue (N, Tv, dim).
    """
    query, value, a = cache
    # context = a v
    da = dcontext @ value.transpose(0, 2, 1)
    dvalue = a.transpose(0, 2, 1) @ dcontext
    # a = softmax(s)
    ds = softmax_backward(da, a)
    # s = q v^T: v is the key too, so its gradient gets a second share.
    dquery = ds @ value
    dvalue += ds.transpose(0, 2, 1) @ query
    return dquery, dvalue


# --8<-- [end:dot]
# --8<-- [start:additive]


class AdditiveCache(NamedTuple):
    """What ``additive_attention_backward`` needs from its forward."""

    value: np.ndarray  # (N, Tv, dim)
    scale: np.ndarray  # (dim,)
    tanh_qv: np.ndarray  # (N, Tq, Tv, dim) tanh(q_t + v_j) for every pair of steps
    a: np.ndarray  # (N, Tq, Tv) attention weights


# assignment: attention_forward
def additive_attention_forward(
    query: np.ndarray, value: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, AdditiveCache]:
    """Additive attention, Keras's ``AdditiveAttention()`` (``use_scale=True``).

    Args:
        query: (N, Tq, dim) q.
        value: (N, Tv, dim) v (also the key).
        scale: (dim,) the weight of each feature's tanh in the score.

    Returns:
        context: (N, Tq, dim), and the cache for ``additive_attention_backward``
        (its ``a`` holds the attention weights).
    """
    # Every query step with every value step: (N, Tq, 1, dim) + (N, 1, Tv, dim). The
    # largest array of the layer, so the tanh is taken in place, without a second one;
    # in C order whatever the inputs' strides (the model's are time-major), so that the
    # backward's reshapes are views, not copies.
    tanh_qv = np.add(query[:, :, None, :], value[:, None, :, :], order="C")
    np.tanh(tanh_qv, out=tanh_qv)
    s = tanh_qv @ scale
    a = softmax(s)
    context = a @ value
    return context, AdditiveCache(value, scale, tanh_qv, a)


# assignment: attention_backward
def additive_attention_backward(
    dcontext: np.ndarray, cache: AdditiveCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of ``additive_attention_forward``.

    Args:
        dcontext: (N, Tq, dim) gradient on the context.
        cache: the forward's ``AdditiveCache``.

    Returns:
        dquery (N, Tq, dim), dvalue (N, Tv, dim), dscale (dim,).
    """
    value, scale, tanh_qv, a = cache
    dim = scale.shape[0]
    # context = a v
    da = dcontext @ value.transpose(0, 2, 1)
    dvalue = a.transpose(0, 2, 1) @ dcontext
    # a = softmax(s)
    ds = softmax_backward(da, a)
    # s = tanh(q + v) scale: one scale for every pair of steps, so its gradient sums
    # over all of them, as one product over the (N Tq Tv) rows.
    dscale = ds.reshape(-1) @ tanh_qv.reshape(-1, dim)
    # dz = ds scale (1 - tanh^2), summed over the value steps for q and over the query
    # steps for v. The "1" part sums ds alone; the tanh^2 part is a batched product,
    # (1, Tv) @ (Tv, dim) for each query step and (1, Tq) @ (Tq, dim) for each value
    # step, so no (N, Tq, Tv, dim) array but tanh^2 is made (docs/attention.md).
    tanh2 = tanh_qv * tanh_qv
    over_values = ds[:, :, None, :] @ tanh2
    over_queries = ds.transpose(0, 2, 1)[:, :, None, :] @ tanh2.transpose(0, 2, 1, 3)
    dquery = scale * (ds.sum(axis=2)[..., None] - over_values[:, :, 0, :])
    dvalue += scale * (ds.sum(axis=1)[..., None] - over_queries[:, :, 0, :])
    return dquery, dvalue, dscale


# --8<-- [end:additive]
# --8<-- [start:layers]


class Attention:
    """Keras's ``Attention()`` with its defaults: dot-product scores, no weights.

    ``forward(query, value)`` keeps its cache for ``backward`` and its attention
    weights in ``attention_scores`` (Keras's name for them), for plotting.

    Args:
        dtype: float64 (default) or float32.
    """

    weight_names: tuple[str, ...] = ()  # Keras's, in Keras's order

    def __init__(self, dtype: np.dtype = np.float64) -> None:
        self.dtype = check_dtype(dtype)
        self.grads: dict[str, np.ndarray] = {}
        self.attention_scores: np.ndarray | None = None
        self._cache: DotCache | AdditiveCache | None = None

    @staticmethod
    def weight_shapes(dim: int) -> list[tuple[int, ...]]:
        """The shapes of the weights for dim features: none.

        Args:
            dim: the features of the query and the value.
        """
        return []

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """The weights themselves (not copies): none."""
        return []

    @property
    def built(self) -> bool:
        """Whether the weights exist (always, for a layer without weights)."""
        return True

    def feature_size(self) -> int | str:
        """dim where the weights fix it, else the name that binds it within a call."""
        return "dim"

    def build(self, dim: int) -> None:
        """Nothing to make: the dot product has no weights.

        Args:
            dim: the features of the query and the value.
        """

    def get_weights(self) -> list[np.ndarray]:
        """[]: no weights."""
        return []

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Accept the empty list, as ``get_weights`` returns.

        Args:
            weights: [].
        """
        check_weights(weights, "weights", [], self.dtype)

    def attention_forward(self, query: np.ndarray, value: np.ndarray) -> tuple:
        """``dot_attention_forward``: (context, cache).

        Args:
            query: (N, Tq, dim), checked.
            value: (N, Tv, dim), checked.
        """
        return dot_attention_forward(query, value)

    def attention_backward(
        self, dcontext: np.ndarray, cache: DotCache
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """``dot_attention_backward``: (dquery, dvalue, the weights' gradients: none).

        Args:
            dcontext: (N, Tq, dim), checked.
            cache: the cache of the forward it goes back through.
        """
        return (*dot_attention_backward(dcontext, cache), [])

    def forward(
        self,
        query: np.ndarray,
        value: np.ndarray,
        return_attention_scores: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Attend from every query step over the value steps.

        Args:
            query: (N, Tq, dim), e.g. the decoder's hidden states.
            value: (N, Tv, dim), e.g. the encoder's hidden states.
            return_attention_scores: also return the attention weights, as Keras does.

        Returns:
            context (N, Tq, dim), or (context, attention weights (N, Tq, Tv)).
        """
        return_attention_scores = check_bool(
            return_attention_scores, "return_attention_scores"
        )
        sizes = {}
        dim = self.feature_size()
        query = check_array(query, "query", ("N", "Tq", dim), self.dtype, sizes)
        value = check_array(value, "value", ("N", "Tv", dim), self.dtype, sizes)
        if not self.built:
            self.build(query.shape[2])
        context = self.call(query, value)
        return (context, self._cache.a) if return_attention_scores else context

    def backward(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backward of the last ``forward``; sets ``grads``.

        Args:
            dcontext: (N, Tq, dim) gradient on the context.

        Returns:
            dquery (N, Tq, dim), dvalue (N, Tv, dim).
        """
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        N, Tq, _ = self.attention_scores.shape
        dim = self._cache.value.shape[2]
        sizes = {"N": (N, "the last forward"), "Tq": (Tq, "the last forward")}
        # NaN is let through, as in LSTM.backward: a diverging training reports it.
        dcontext = check_array(
            dcontext, "dcontext", ("N", "Tq", dim), self.dtype, sizes, finite=False
        )
        return self.backprop(dcontext)

    # What Seq2Seq runs on every batch, its data checked once: the layer unchecked.
    def call(self, query: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The attention forward, unchecked; keeps its cache and ``attention_scores``.

        Args:
            query: (N, Tq, dim) q.
            value: (N, Tv, dim) v.

        Returns:
            context: (N, Tq, dim).
        """
        context, self._cache = self.attention_forward(query, value)
        self.attention_scores = self._cache.a
        return context

    def backprop(self, dcontext: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Backward of the last ``call``, unchecked; sets ``grads``.

        Args:
            dcontext: (N, Tq, dim) gradient on the context.

        Returns:
            dquery (N, Tq, dim), dvalue (N, Tv, dim).
        """
        dquery, dvalue, dweights = self.attention_backward(dcontext, self._cache)
        self.grads = dict(zip(self.weight_names, dweights, strict=True))
        return dquery, dvalue

    def step_call(
        self, query: np.ndarray, value: np.ndarray
    ) -> tuple[np.ndarray, tuple]:
        """One query step, unchecked: what a decoder step attends to.

        Args:
            query: (N, dim) this step's q.
            value: (N, Tv, dim) v.

        Returns:
            context (N, dim) and the step's cache for ``step_backprop`` (its ``a``, the
            attention weights, is (N, 1, Tv)).
        """
        context, cache = self.attention_forward(query[:, None], value)
        return context[:, 0], cache

    def step_backprop(
        self, dcontext: np.ndarray, cache: tuple
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Backward of one ``step_call``, unchecked.

        Args:
            dcontext: (N, dim) gradient on the step's context.
            cache: the cache ``step_call`` returned.

        Returns:
            dquery (N, dim), dvalue (N, Tv, dim) and the step's weight gradients.
        """
        dquery, dvalue, dweights = self.attention_backward(dcontext[:, None], cache)
        return dquery[:, 0], dvalue, dweights


class AdditiveAttention(Attention):
    """Keras's ``AdditiveAttention()`` with its defaults (``use_scale=True``).

    One weight, ``scale`` (dim,), made on the first ``forward`` (or by ``build``) as
    Keras does: Glorot uniform, which for a vector takes fan_in = fan_out = dim.

    Args:
        seed: seed of the initial ``scale`` (None: fresh randomness).
        dtype: float64 (default) or float32.
    """

    weight_names = ("scale",)

    def __init__(self, seed: int | None = None, dtype: np.dtype = np.float64) -> None:
        super().__init__(dtype)
        self.seed = check_seed(seed)
        self.scale: np.ndarray | None = None

    @staticmethod
    def weight_shapes(dim: int) -> list[tuple[int, ...]]:
        """The shapes of the weights for dim features: [(dim,)], ``scale``.

        Args:
            dim: the features of the query and the value.
        """
        return [(dim,)]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        """[scale] itself (not a copy); [] before build."""
        return [self.scale] if self.built else []

    @property
    def built(self) -> bool:
        """Whether ``scale`` exists (after ``build`` or the first ``forward``)."""
        return self.scale is not None

    def feature_size(self) -> int | str:
        """dim once ``scale`` exists, else the name that binds it within a call."""
        return self.scale.shape[0] if self.built else "dim"

    def build(self, dim: int) -> None:
        """Make ``scale`` for dim features: uniform on +-sqrt(6 / (dim + dim)).

        Args:
            dim: the features of the query and the value.
        """
        dim = check_int(dim, "dim")
        limit = np.sqrt(6.0 / (dim + dim))
        rng = np.random.default_rng(self.seed)
        self.scale = rng.uniform(-limit, limit, size=dim).astype(self.dtype)

    def get_weights(self) -> list[np.ndarray]:
        """[scale (dim,)], a copy; [] before build."""
        return [self.scale.copy()] if self.built else []

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set ``scale``, copying it; before ``build`` any dim is taken.

        Args:
            weights: [scale (dim,)].
        """
        (self.scale,) = check_weights(
            weights, "weights", [(self.feature_size(),)], self.dtype
        )

    def attention_forward(self, query: np.ndarray, value: np.ndarray) -> tuple:
        """``additive_attention_forward`` with this layer's ``scale``.

        Args:
            query: (N, Tq, dim), checked.
            value: (N, Tv, dim), checked.
        """
        return additive_attention_forward(query, value, self.scale)

    def attention_backward(
        self, dcontext: np.ndarray, cache: AdditiveCache
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """``additive_attention_backward``: (dquery, dvalue, [dscale (dim,)]).

        Args:
            dcontext: (N, Tq, dim), checked.
            cache: the cache of the forward it goes back through.
        """
        dquery, dvalue, dscale = additive_attention_backward(dcontext, cache)
        return dquery, dvalue, [dscale]


# --8<-- [end:layers]

# The layers by the names ``Seq2Seq(attention=...)`` takes.
ATTENTIONS: dict[str, type[Attention]] = {
    "dot": Attention,
    "additive": AdditiveAttention,
}


def make_attention(
    kind: str | None, dim: int, seed: int | None, dtype: np.dtype
) -> Attention | None:
    """The built attention layer of ``Seq2Seq(attention=kind)``; None for None.

    Args:
        kind: None, "dot" or "additive".
        dim: the features of the query and the value (the model's units H).
        seed: seed of the additive attention's ``scale``.
        dtype: float64 or float32.
    """
    if kind is None:
        return None
    layer = AdditiveAttention(seed, dtype) if kind == "additive" else Attention(dtype)
    layer.build(dim)
    return layer
