"""Each optimizer against steps worked out by hand from Keras 3's update rules."""

import re

import numpy as np
import pytest

import minilstm as ml
from minilstm import SGD, Adam, RMSprop

# Tolerances: the hand calculations below repeat the optimizers' float operations, and
# measure equal to them or within one rounding (2e-16); rel=1e-15 and 1e-14 allow a few
# roundings and still fail on any change to a rule, which moves the result by 1e-9 or
# more.


def run(optimizer, w0, grads):
    w = np.array(w0, dtype=np.float64)
    for g in grads:
        optimizer.apply([np.array(g, dtype=np.float64)], [w])
    return w


def test_sgd_plain_step():
    assert run(SGD(learning_rate=0.1), [1.0, -2.0], [[0.5, 1.0]]).tolist() == [
        0.95,
        -2.1,
    ]


def test_sgd_momentum_two_steps():
    # m1 = -0.1*1 = -0.1; w1 = 1 - 0.1 = 0.9.  m2 = 0.9*(-0.1) - 0.1*2 = -0.29; w2 =
    # 0.61.
    w = run(SGD(learning_rate=0.1, momentum=0.9), [1.0], [[1.0], [2.0]])
    assert w[0] == pytest.approx(0.61, rel=1e-15)


def test_sgd_nesterov_two_steps():
    # m1 = -0.1; w1 = 1 + 0.9*(-0.1) - 0.1 = 0.81.
    # m2 = -0.09 - 0.2 = -0.29; w2 = 0.81 + 0.9*(-0.29) - 0.2 = 0.349.
    w = run(SGD(learning_rate=0.1, momentum=0.9, nesterov=True), [1.0], [[1.0], [2.0]])
    assert w[0] == pytest.approx(0.349, rel=1e-14)


def test_rmsprop_two_steps_with_epsilon_inside_the_root():
    # v1 = 0.1*4 = 0.4;  w1 = 1 - 0.01*2/sqrt(0.4 + 1e-7)
    # v2 = 0.9*0.4 + 0.1*1 = 0.46;  w2 = w1 - 0.01*1/sqrt(0.46 + 1e-7)
    w1 = 1 - 0.01 * 2 / np.sqrt(0.4 + 1e-7)
    w2 = w1 - 0.01 * 1 / np.sqrt(0.46 + 1e-7)
    w = run(RMSprop(learning_rate=0.01), [1.0], [[2.0], [1.0]])
    assert w[0] == pytest.approx(w2, rel=1e-15)


def test_rmsprop_momentum_and_centered():
    # centered: a1 = 0.1*2 = 0.2, v1 = 0.4, denominator = 0.4 - 0.04 + 1e-7
    # momentum: m1 = increment; w1 = 1 - m1
    inc1 = 0.01 * 2 / np.sqrt(0.4 - 0.04 + 1e-7)
    w = run(RMSprop(learning_rate=0.01, momentum=0.5, centered=True), [1.0], [[2.0]])
    assert w[0] == pytest.approx(1 - inc1, rel=1e-15)
    # second step: a2 = 0.18 + 0.1 = 0.28, v2 = 0.36 + 0.1 = 0.46, m2 = 0.5 m1 + inc2
    inc2 = 0.01 * 1 / np.sqrt(0.46 - 0.28**2 + 1e-7)
    w = run(
        RMSprop(learning_rate=0.01, momentum=0.5, centered=True), [1.0], [[2.0], [1.0]]
    )
    assert w[0] == pytest.approx(1 - inc1 - (0.5 * inc1 + inc2), rel=1e-14)


def test_adam_first_step_moves_every_weight_by_about_the_learning_rate():
    # t=1: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001)/0.1, so the step is
    # lr * 0.1 g sqrt(0.001) / 0.1 / (sqrt(0.001)|g| + eps) ~ lr * sign(g).
    g = np.array([3.0, -0.5])
    w = run(Adam(learning_rate=0.01), [0.0, 0.0], [g])
    expected = -0.01 * np.sqrt(0.001) / 0.1 * (0.1 * g) / (np.sqrt(0.001 * g**2) + 1e-7)
    np.testing.assert_allclose(w, expected, rtol=1e-15)
    # epsilon makes the step fall short of lr by lr eps / (sqrt(0.001) |g|): 1e-8 and
    # 6e-8 here.
    assert np.all(np.abs(np.abs(w) - 0.01) < 1e-7)


def test_adam_three_steps_by_hand():
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-7
    w, m, v = 0.5, 0.0, 0.0
    grads = [0.2, -0.1, 0.4]
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    got = run(Adam(), [0.5], [[g] for g in grads])
    assert got[0] == pytest.approx(w, rel=1e-15)


def test_adam_bias_correction_matters():
    """Without the correction the first step would be sqrt(0.001)/0.1 ~ 0.32 of this
    one. (With it the step falls short of lr by eps / sqrt(0.001), a relative 3.2e-6:
    rel=1e-5.)"""
    got = run(Adam(learning_rate=0.1), [0.0], [[1.0]])
    assert got[0] == pytest.approx(-0.1, rel=1e-5)


def test_clipnorm_clips_each_gradient_to_the_norm():
    w = run(SGD(learning_rate=1.0, clipnorm=1.0), [0.0, 0.0], [[3.0, 4.0]])
    np.testing.assert_allclose(w, [-0.6, -0.8], rtol=1e-15)


def test_global_clipnorm_and_clipvalue():
    a, b = np.zeros(1), np.zeros(1)
    SGD(learning_rate=1.0, global_clipnorm=1.0).apply(
        [np.array([3.0]), np.array([4.0])], [a, b]
    )
    np.testing.assert_allclose([a[0], b[0]], [-0.6, -0.8], rtol=1e-15)
    w = run(SGD(learning_rate=1.0, clipvalue=0.5), [0.0, 0.0], [[3.0, -0.2]])
    np.testing.assert_allclose(w, [-0.5, 0.2], rtol=1e-15)


def test_learning_rate_schedule_is_called_with_the_step_number():
    seen = []

    def schedule(step):
        seen.append(step)
        return 0.1

    run(SGD(learning_rate=schedule), [0.0], [[1.0], [1.0], [1.0]])
    assert seen == [0, 1, 2]


def test_keras_defaults():
    adam, rms, sgd = Adam(), RMSprop(), SGD()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        1e-3,
        0.9,
        0.999,
        1e-7,
    )
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon) == (
        1e-3,
        0.9,
        0.0,
        1e-7,
    )
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)


# An optimizer belongs to the variables of its first step: its slots are their history.

ENC_X = np.linspace(-1, 1, 4 * 5).reshape(4, 5, 1)
DEC_Y = np.cos(ENC_X)
DEC_X = np.concatenate([np.zeros((4, 1, 1)), DEC_Y[:, :-1]], axis=1)


def trained(optimizer, **settings):
    model = ml.Seq2Seq(**{"units": 4, "seed": 0, **settings})
    model.fit(
        ENC_X, DEC_X, DEC_Y, epochs=1, batch_size=2, optimizer=optimizer, verbose=0
    )
    return model


def state(model):
    """Everything a step changes: the weights, and the optimizer's slots and count."""
    slots = [{k: s.copy() for k, s in slot.items()} for slot in model.optimizer.slots]
    return model.get_weights(), slots, model.optimizer.iterations


def assert_same(got, want):
    (w1, s1, i1), (w2, s2, i2) = got, want
    assert i1 == i2
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [sorted(s) for s in s1] == [sorted(s) for s in s2]
    for a, b in zip(s1, s2, strict=True):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])


@pytest.mark.parametrize(
    ("other", "differs"),
    [
        ({"output_dim": 2}, r"variables\[3\] of shape \(1, 16\) .* not \(2, 16\)"),
        ({"units": 6}, r"variables\[0\] of shape \(1, 16\) .* not \(1, 24\)"),
        ({"dtype": np.float32}, r"variables\[0\] .* dtype float64, not .* float32"),
        ({"cell": "gru"}, r"variables\[0\] of shape \(1, 16\) .* not \(1, 12\)"),
    ],
)
def test_an_optimizer_used_on_another_model_is_refused_before_any_change(
    other, differs
):
    optimizer = Adam(learning_rate=0.01)
    first = trained(optimizer)
    second = ml.Seq2Seq(**{"units": 4, "seed": 1, **other})
    first_before, second_before = state(first), second.get_weights()
    O = second.output_dim
    with pytest.raises(ValueError, match="belongs to another model") as caught:
        second.fit(
            ENC_X,
            np.zeros((4, 5, O)),
            np.ones((4, 5, O)),
            optimizer=optimizer,
            verbose=0,
        )
    message = str(caught.value)
    assert re.search(differs, message), message
    assert "Adam.from_config(optimizer.get_config())" in message
    assert_same(state(first), first_before)
    assert second.optimizer is None
    for a, b in zip(second.get_weights(), second_before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_apply_on_other_variables_is_refused_naming_the_difference():
    optimizer = SGD(momentum=0.9)
    optimizer.apply([np.ones(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match=r"holds the state of 1 variables, not 2"):
        optimizer.apply([np.ones(2), np.ones(2)], [np.zeros(2), np.zeros(2)])
    with pytest.raises(ValueError, match=r"variables\[0\] of shape \(2,\)"):
        optimizer.apply([np.ones(3)], [np.zeros(3)])
    assert optimizer.iterations == 1


def test_a_loaded_optimizer_knows_its_model_shapes(tmp_path):
    trained(Adam()).save(tmp_path / "m.npz")
    optimizer = ml.Seq2Seq.load(tmp_path / "m.npz").optimizer
    with pytest.raises(ValueError, match="belongs to another model"):
        ml.Seq2Seq(units=5).fit(ENC_X, DEC_X, DEC_Y, optimizer=optimizer, verbose=0)


@pytest.mark.parametrize("k", range(8))
@pytest.mark.parametrize("make", [Adam, lambda: SGD(momentum=0.9), RMSprop])
def test_an_error_inside_an_update_leaves_model_and_optimizer_as_they_were(
    make, k, monkeypatch
):
    """An update that raises at variable k (of 8), after those before it were computed:
    fit stops with that error, and nothing of the step is kept."""
    optimizer = make()
    model = trained(optimizer)
    before = state(model)
    calls = []
    rule = type(optimizer).update_step

    def fails_at_k(self, *args):
        calls.append(1)
        if len(calls) == k + 1:
            raise MemoryError("injected")
        rule(self, *args)

    monkeypatch.setattr(type(optimizer), "update_step", fails_at_k)
    with pytest.raises(MemoryError, match="injected"):
        model.fit(ENC_X, DEC_X, DEC_Y, epochs=2, initial_epoch=1, verbose=0)
    assert len(calls) == k + 1
    assert_same(state(model), before)
    # and so through apply, called directly
    calls.clear()
    with pytest.raises(MemoryError, match="injected"):
        optimizer.apply(
            [np.ones_like(w) for w in model.trainable_weights], model.trainable_weights
        )
    assert_same(state(model), before)
