"""A training run that diverges stops with a clear error and still holds its last good
model: the weights and optimizer state of the last step that kept everything finite."""

import numpy as np
import pytest

import minilstm as ml
from minilstm import TrainingDivergedError
from minilstm.data import load_task

DATA = load_task("sin_cos", window=8)  # 92 windows: 10 batches of up to 10
BATCH = 10


def replay(
    optimizer: ml.Optimizer, epoch: int, batch: int, dec_y: np.ndarray
) -> ml.Seq2Seq:
    """The run of the test, without shuffling, stopped after ``epoch`` whole epochs and
    ``batch`` more batches: fit sees the windows in order, so the first ``batch``
    batches of an epoch are the first ``batch * BATCH`` windows."""
    model = ml.Seq2Seq(units=4, seed=0)
    model.fit(
        DATA.enc_x,
        DATA.dec_x,
        dec_y,
        epochs=epoch,
        batch_size=BATCH,
        optimizer=optimizer,
        shuffle=False,
        verbose=0,
    )
    if batch:
        n = batch * BATCH
        model.fit(
            DATA.enc_x[:n],
            DATA.dec_x[:n],
            dec_y[:n],
            epochs=epoch + 1,
            initial_epoch=epoch,
            batch_size=BATCH,
            shuffle=False,
            verbose=0,
        )
    return model


def assert_same_state(model: ml.Seq2Seq, expected: ml.Seq2Seq) -> None:
    for a, b in zip(model.get_weights(), expected.get_weights(), strict=True):
        assert np.isfinite(a).all()
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == expected.optimizer.iterations
    for got, want in zip(model.optimizer.slots, expected.optimizer.slots, strict=True):
        assert got.keys() == want.keys()
        for name in got:
            np.testing.assert_array_equal(got[name], want[name])


def test_huge_learning_rate_stops_with_an_error_and_keeps_the_last_finite_weights():
    """SGD at learning rate 30 makes this model's loss overflow to inf in epoch 8
    (found by running it): the step of that batch must not be applied."""
    model = ml.Seq2Seq(units=4, seed=0)
    with pytest.raises(TrainingDivergedError) as caught:
        model.fit(
            DATA.enc_x,
            DATA.dec_x,
            DATA.dec_y,
            epochs=30,
            batch_size=BATCH,
            optimizer=ml.SGD(learning_rate=30.0),
            shuffle=False,
            verbose=0,
        )
    error = caught.value
    assert (error.epoch, error.batch) == (7, 6)
    message = str(error)
    assert "epoch 8/30, batch 7/10" in message
    assert "the loss is inf, from an overflow" in message
    assert "lower learning rate (now 30)" in message and "clipnorm" in message
    assert len(error.history.history["loss"]) == error.epoch == model.completed_epochs
    assert_same_state(
        model, replay(ml.SGD(learning_rate=30.0), error.epoch, error.batch, DATA.dec_y)
    )


def test_an_update_that_overflows_is_undone_with_the_optimizer_state():
    """Five sane steps, then a learning rate of 1e308: the sixth update itself makes the
    weights infinite (the loss and gradients were still finite), so it must be rolled
    back, momentum slots and step counter included."""

    def schedule(step: int) -> float:
        return 0.01 if step < 5 else 1e308

    dec_y = DATA.dec_y * 100  # large errors, so that 1e308 times a gradient overflows
    model = ml.Seq2Seq(units=4, seed=0)
    with pytest.raises(
        TrainingDivergedError,
        match=r"the update of weights\[\d\] \(.*\) has infinite values, from an "
        r"overflow\. Try a lower learning rate",
    ):
        model.fit(
            DATA.enc_x,
            DATA.dec_x,
            dec_y,
            epochs=2,
            batch_size=BATCH,
            optimizer=ml.SGD(learning_rate=schedule, momentum=0.9),
            shuffle=False,
            verbose=0,
        )
    assert model.optimizer.iterations == 5
    assert_same_state(
        model, replay(ml.SGD(learning_rate=0.01, momentum=0.9), 0, 5, dec_y)
    )


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        (np.nan, "NaN values, from an invalid operation"),
        (np.inf, "infinite values, from an overflow"),
    ],
)
def test_a_non_finite_gradient_stops_training_before_the_update(
    value, cause, monkeypatch
):
    model = ml.Seq2Seq(units=4, seed=0)
    compute = model._loss_and_grads
    calls = []

    def nan_on_third_call(*arrays):
        loss, grads = compute(*arrays)
        calls.append(1)
        if len(calls) == 3:
            grads[4][0, 0] = value
        return loss, grads

    monkeypatch.setattr(model, "_loss_and_grads", nan_on_third_call)
    with pytest.raises(
        TrainingDivergedError,
        match=r"the gradient of weights\[4\] \(decoder recurrent_kernel\) has "
        + cause
        + r".*\. Try a lower learning rate",
    ):
        model.fit(
            DATA.enc_x,
            DATA.dec_x,
            DATA.dec_y,
            epochs=1,
            batch_size=BATCH,
            optimizer=ml.Adam(),
            shuffle=False,
            verbose=0,
        )
    assert_same_state(model, replay(ml.Adam(), 0, 2, DATA.dec_y))


def test_divergence_is_an_arithmetic_error_not_a_bad_argument():
    assert issubclass(TrainingDivergedError, ArithmeticError)
    assert not issubclass(TrainingDivergedError, ValueError)


def test_adam_without_epsilon_on_a_feature_that_is_always_zero_is_0_over_0():
    """The kernel row of an input that is always 0 has a zero gradient, so Adam with
    epsilon=0 divides m = 0 by sqrt(v) = 0 in the first step: the message says 0/0 and
    suggests a positive epsilon, and the model stays as it was."""
    enc_x = np.concatenate([DATA.enc_x, np.zeros_like(DATA.enc_x)], axis=2)
    model = ml.Seq2Seq(units=4, input_dim=2, seed=0)
    before = model.get_weights()
    with pytest.raises(TrainingDivergedError) as caught:
        model.fit(
            enc_x, DATA.dec_x, DATA.dec_y, optimizer=ml.Adam(epsilon=0.0), verbose=0
        )
    message = str(caught.value)
    assert (
        "batch 1/3" in message
        and r"the update of weights[0] (encoder kernel) has NaN values" in message
        and "0/0" in message
        and "Use a positive epsilon" in message
        and "Adam(epsilon=1e-7)" in message
        and "lower learning rate" not in message
    )
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 0 and model.optimizer.slots == []
    # The remedy it names works: the default epsilon trains on the same data.
    model.fit(enc_x, DATA.dec_x, DATA.dec_y, optimizer=ml.Adam(), verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())
