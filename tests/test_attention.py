"""Attention: the softmax, dot-product and additive attention and their layers.

Central differences for every backward, golden values worked out by hand, each query
step attending alone as in the batch, and the layers' Keras interface. Parity with
Keras's own layers is in test_keras_attention.py.
"""

import numpy as np
import pytest

import minilstm as ml
from minilstm.attention import (
    additive_attention_backward,
    additive_attention_forward,
    dot_attention_backward,
    dot_attention_forward,
    softmax,
    softmax_backward,
)
from minilstm.gradcheck import numerical_gradient, rel_error

# As in test_lstm.py: a correct backward agrees with central differences (h = 1e-6) to
# about 1e-9 in float64 (measured here, 5 seeds: at most 5.4e-10); a mistake gives 1e-3
# or more.
TOL = 1e-7
LN3 = np.log(3.0)


def inputs(rng, N=2, Tq=3, Tv=5, dim=4):
    """A query (N, Tq, dim), a value (N, Tv, dim) and an upstream gradient (N, Tq, dim).

    Unit-normal entries over 4 features give scores of a few units: some weights
    near 0, some near 1, so a softmax over the wrong axis or a missing term shows.
    """
    query = rng.normal(size=(N, Tq, dim))
    value = rng.normal(size=(N, Tv, dim))
    dcontext = rng.normal(size=(N, Tq, dim))
    return query, value, dcontext


# --- the softmax --------------------------------------------------------------------


def test_softmax_rows_are_positive_and_sum_to_one(rng):
    a = softmax(rng.normal(scale=3.0, size=(2, 3, 5)))
    assert a.shape == (2, 3, 5)
    assert np.all(a > 0)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-15)


def test_softmax_golden_values():
    # e^0 : e^(ln 3) = 1 : 3
    a = softmax(np.array([[[0.0, LN3]]]))
    np.testing.assert_allclose(a, [[[0.25, 0.75]]], rtol=1e-15)


def test_softmax_is_the_same_after_adding_a_constant_to_a_row(rng):
    s = rng.normal(size=(2, 3, 5))
    shift = rng.normal(scale=100.0, size=(2, 3, 1))
    np.testing.assert_allclose(softmax(s + shift), softmax(s), rtol=1e-12)


def test_softmax_of_huge_scores_neither_overflows_nor_warns():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        a = softmax(np.array([[[1000.0, 0.0, -1000.0], [800.0, 800.0, 800.0]]]))
    np.testing.assert_allclose(a, [[[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]])


def test_softmax_backward_matches_central_differences(rng):
    s = rng.normal(size=(2, 3, 5))
    da = rng.normal(size=(2, 3, 5))
    ds = softmax_backward(da, softmax(s))
    assert rel_error(ds, numerical_gradient(lambda: softmax(s), s, da)) < TOL


def test_softmax_backward_needs_the_cross_term(rng):
    """Without the cross term (ds = a da, the diagonal of the Jacobian alone) the
    gradient is wrong by far more than the tolerance: the check above can fail."""
    s = rng.normal(size=(2, 3, 5))
    da = rng.normal(size=(2, 3, 5))
    a = softmax(s)
    assert rel_error(a * da, numerical_gradient(lambda: softmax(s), s, da)) > 0.1


def test_a_gradient_equal_on_every_weight_of_a_row_does_not_reach_the_scores(rng):
    """The weights of a row always sum to 1: moving them all by the same amount is
    impossible, so that part of da has no effect on the scores."""
    a = softmax(rng.normal(size=(2, 3, 5)))
    da = np.broadcast_to(rng.normal(size=(2, 3, 1)), (2, 3, 5))
    np.testing.assert_allclose(softmax_backward(da, a), 0.0, atol=1e-15)


# --- golden values ------------------------------------------------------------------


def test_equal_scores_give_uniform_weights_and_the_mean_of_the_values(rng):
    """A zero query scores every value step 0 in the dot product; a zero scale does
    the same in the additive score: each weight is 1/Tv, the context the values'
    mean."""
    value = rng.normal(size=(2, 5, 4))
    query = np.zeros((2, 3, 4))
    mean = np.broadcast_to(value.mean(axis=1, keepdims=True), (2, 3, 4))
    for context, cache in (
        dot_attention_forward(query, value),
        additive_attention_forward(rng.normal(size=(2, 3, 4)), value, np.zeros(4)),
    ):
        np.testing.assert_allclose(cache.a, 0.2, rtol=1e-15)
        np.testing.assert_allclose(context, mean, rtol=1e-12)


def test_dot_attention_golden_values():
    # s = q v^T = [ln 3, 0], so a = [3/4, 1/4] and the context is a v = [3/4, 1/4].
    query = np.array([[[LN3, 0.0]]])
    value = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    context, cache = dot_attention_forward(query, value)
    np.testing.assert_allclose(cache.a, [[[0.75, 0.25]]], rtol=1e-15)
    np.testing.assert_allclose(context, [[[0.75, 0.25]]], rtol=1e-15)


def test_additive_attention_golden_values():
    # One feature: s_j = scale tanh(0 + v_j) = [2 ln 3 tanh(atanh(1/2)), 0] = [ln 3, 0].
    v0 = np.arctanh(0.5)
    query = np.zeros((1, 1, 1))
    value = np.array([[[v0], [0.0]]])
    context, cache = additive_attention_forward(query, value, np.array([2 * LN3]))
    np.testing.assert_allclose(cache.a, [[[0.75, 0.25]]], rtol=1e-15)
    np.testing.assert_allclose(context, [[[0.75 * v0]]], rtol=1e-15)


def test_a_value_step_that_scores_far_higher_takes_all_the_weight(rng):
    value = rng.normal(size=(1, 4, 3))
    query = 100.0 * value[:, 2:3]  # q . v_2 = 100 |v_2|^2, far above the others
    context, cache = dot_attention_forward(query, value)
    np.testing.assert_allclose(cache.a, [[[0.0, 0.0, 1.0, 0.0]]], atol=1e-12)
    np.testing.assert_allclose(context, value[:, 2:3], rtol=1e-12)


# --- central differences ------------------------------------------------------------


def test_dot_attention_backward_matches_central_differences(rng):
    query, value, dcontext = inputs(rng)
    _, cache = dot_attention_forward(query, value)
    grads = dot_attention_backward(dcontext, cache)

    def f():
        return dot_attention_forward(query, value)[0]

    for array, grad in zip((query, value), grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dcontext)) < TOL


def test_additive_attention_backward_matches_central_differences(rng):
    query, value, dcontext = inputs(rng)
    scale = rng.normal(size=4)
    _, cache = additive_attention_forward(query, value, scale)
    grads = additive_attention_backward(dcontext, cache)

    def f():
        return additive_attention_forward(query, value, scale)[0]

    for array, grad in zip((query, value, scale), grads, strict=True):
        assert rel_error(grad, numerical_gradient(f, array, dcontext)) < TOL


@pytest.mark.parametrize("layer", [ml.Attention, ml.AdditiveAttention])
def test_layer_backward_matches_central_differences(layer, rng):
    """Through the layer, with a query as long as the values and one a step long (the
    autoregressive decoder's)."""
    for Tq in (5, 1):
        query, value, dcontext = inputs(rng, Tq=Tq)
        attention = layer()
        attention.forward(query, value)
        dquery, dvalue = attention.backward(dcontext)
        weights = {"query": (query, dquery), "value": (value, dvalue)}
        if layer is ml.AdditiveAttention:
            weights["scale"] = (attention.scale, attention.grads["scale"])

        def f(attention=attention, query=query, value=value):
            return attention.forward(query, value)

        for array, grad in weights.values():
            assert rel_error(grad, numerical_gradient(f, array, dcontext)) < TOL


# --- one query step at a time -------------------------------------------------------


@pytest.mark.parametrize("layer", [ml.Attention, ml.AdditiveAttention])
def test_each_query_step_attending_alone_gives_the_batched_result(layer, rng):
    """Autoregressive decoding attends with one query step at a time: the same
    contexts and weights as all steps at once, since no query step sees another."""
    query, value, _ = inputs(rng, Tq=6)
    attention = layer(seed=0) if layer is ml.AdditiveAttention else layer()
    context, weights = attention.forward(query, value, return_attention_scores=True)
    steps = [
        attention.forward(query[:, t : t + 1], value, return_attention_scores=True)
        for t in range(6)
    ]
    np.testing.assert_allclose(
        np.concatenate([c for c, _ in steps], axis=1), context, rtol=1e-13
    )
    np.testing.assert_allclose(
        np.concatenate([a for _, a in steps], axis=1), weights, rtol=1e-13
    )


# --- the layers ---------------------------------------------------------------------


@pytest.mark.parametrize("layer", [ml.Attention, ml.AdditiveAttention])
def test_layer_returns_the_context_and_keeps_the_weights_for_plotting(layer, rng):
    query, value, _ = inputs(rng, N=2, Tq=3, Tv=5, dim=4)
    attention = layer()
    assert attention.attention_scores is None
    context, weights = attention.forward(query, value, return_attention_scores=True)
    assert context.shape == (2, 3, 4)
    assert weights.shape == (2, 3, 5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(attention.attention_scores, weights)
    np.testing.assert_array_equal(attention.forward(query, value), context)


def test_dot_attention_has_no_weights():
    attention = ml.Attention()
    assert attention.get_weights() == []
    attention.set_weights([])
    with pytest.raises(ValueError, match="weights must be a list of 0 arrays; got 1"):
        attention.set_weights([np.ones(4)])


def test_additive_scale_starts_as_keras_glorot_uniform_of_a_vector():
    """Keras draws ``scale`` (dim,) with Glorot uniform, which takes fan_in = fan_out
    = dim for a vector: limit sqrt(6 / 2 dim) = sqrt(3 / dim)."""
    dim = 300
    attention = ml.AdditiveAttention(seed=0)
    assert attention.get_weights() == []
    attention.build(dim)
    (scale,) = attention.get_weights()
    limit = np.sqrt(3 / dim)
    assert scale.shape == (dim,)
    assert np.all(np.abs(scale) <= limit)
    # Uniform on [-limit, limit]: its largest draws come near the limit, and its
    # variance is limit^2 / 3 (300 draws: within 20%).
    assert np.max(np.abs(scale)) > 0.95 * limit
    assert np.var(scale) == pytest.approx(limit**2 / 3, rel=0.2)
    same = ml.AdditiveAttention(seed=0)
    same.build(dim)
    np.testing.assert_array_equal(same.scale, scale)
    other = ml.AdditiveAttention(seed=1)
    other.build(dim)
    assert not np.array_equal(other.scale, scale)


def test_additive_weights_are_copied_both_ways(rng):
    attention = ml.AdditiveAttention(seed=0)
    scale = rng.normal(size=4)
    attention.set_weights([scale])
    scale[0] = 99.0
    assert attention.scale[0] != 99.0
    attention.get_weights()[0][0] = 99.0
    assert attention.scale[0] != 99.0
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(4,\)"):
        attention.set_weights([np.ones(3)])


def test_the_first_forward_builds_the_additive_scale_for_the_features_seen(rng):
    query, value, _ = inputs(rng, dim=6)
    attention = ml.AdditiveAttention(seed=0)
    attention.forward(query, value)
    assert attention.scale.shape == (6,)
    with pytest.raises(ValueError, match=r"query must have shape \(N, Tq, 6\)"):
        attention.forward(query[..., :4], value[..., :4])


@pytest.mark.parametrize("layer", [ml.Attention, ml.AdditiveAttention])
def test_bad_arguments_are_named(layer, rng):
    query, value, dcontext = inputs(rng, N=2, Tq=3, Tv=5, dim=4)
    attention = layer()
    with pytest.raises(RuntimeError, match="backward called before forward"):
        attention.backward(dcontext)
    with pytest.raises(ValueError, match=r"value must have shape \(N, Tv, dim\) with"):
        attention.forward(query, value[..., :3])
    with pytest.raises(ValueError, match=r"value must have shape .*N = 2"):
        attention.forward(query, value[:1])
    with pytest.raises(ValueError, match=r"query must have shape \(N, Tq, "):
        attention.forward(query[0], value)
    with pytest.raises(ValueError, match="query must be finite"):
        attention.forward(np.full_like(query, np.nan), value)
    with pytest.raises(TypeError, match="return_attention_scores must be True or"):
        attention.forward(query, value, return_attention_scores=1)
    attention.forward(query, value)
    with pytest.raises(ValueError, match=r"dcontext must have shape \(N, Tq, 4\)"):
        attention.backward(dcontext[:, :2])


@pytest.mark.parametrize("layer", [ml.Attention, ml.AdditiveAttention])
def test_float32_layer_computes_in_float32_to_float32_rounding(layer, rng):
    """Measured: float32 against float64 from the same inputs and weights, relative
    (max |difference| / max |float64|), over 20 seeds of these shapes: at most 2.9e-7
    for the contexts and 1.4e-6 for the gradients, a few times float32's unit
    roundoff 6e-8 gathered over sums of 9 steps and 8 features. The bounds, 1e-6 and
    5e-6, are those rounded up by 3.5, and far below a mistake of computation (1e-2
    or more)."""
    query, value, dcontext = inputs(rng, N=3, Tq=7, Tv=9, dim=8)
    layer64, layer32 = layer(), layer(dtype=np.float32)
    context64 = layer64.forward(query, value)
    layer32.set_weights(layer64.get_weights())
    context32 = layer32.forward(query.astype(np.float32), value)
    grads64 = (*layer64.backward(dcontext), *layer64.grads.values())
    grads32 = (*layer32.backward(dcontext), *layer32.grads.values())
    assert context32.dtype == layer32.attention_scores.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads32)
    assert np.max(np.abs(context32 - context64)) / np.max(np.abs(context64)) < 1e-6
    for a, b in zip(grads32, grads64, strict=True):
        assert np.max(np.abs(a - b)) / np.max(np.abs(b)) < 5e-6
