"""Scheduled sampling: ``fit(teacher_forcing=...)`` and the step-by-step decoder it
runs, for every cell; the schedules' values."""

import dataclasses
import math

import numpy as np
import pytest

import minilstm as ml
from minilstm import decoding, schedules
from minilstm.data import load_task
from minilstm.gradcheck import numerical_gradient, rel_error

CELLS = ("lstm", "gru", "rnn")
# A correct backward agrees with central differences to about 1e-9 in float64
# (measured here: 7e-9 at most); a wrong one is off by far more than 1e-7.
TOL = 1e-7


@pytest.fixture(scope="module")
def task():
    """A few windows of sin -> cos: enough steps for the coins and the schedule."""
    data = load_task("sin_cos")
    return data.enc_x[:24], data.dec_x[:24], data.dec_y[:24]


def random_model(
    cell,
    seed=0,
    units=3,
    input_dim=2,
    output_dim=2,
    dtype=np.float64,
    attention=None,
):
    """Unit-normal weights: some gates saturate, so that a mix-up cannot hide in the
    linear part of the activations."""
    rng = np.random.default_rng(seed)
    model = ml.Seq2Seq(
        units,
        input_dim,
        output_dim,
        seed=0,
        cell=cell,
        dtype=dtype,
        attention=attention,
    )
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    return model


def random_data(rng, N=3, T_enc=4, T_dec=5, input_dim=2, output_dim=2):
    return (
        rng.normal(size=(N, T_enc, input_dim)),
        rng.normal(size=(N, T_dec, output_dim)),
        rng.normal(size=(N, T_dec, output_dim)),
    )


def fed_inputs(model, enc_x, dec_x, teacher):
    """The decoder inputs a sampled forward read: the true value where the coin says
    so, else the previous step's prediction."""
    y = model.call(enc_x, dec_x, teacher)
    held = dec_x.copy()
    held[:, 1:] = np.where(teacher[:, 1:, None], dec_x[:, 1:], y[:, :-1])
    return held


def trained(cell, task, **fit):
    model = ml.Seq2Seq(units=4, seed=3, cell=cell)
    history = model.fit(*task, batch_size=5, verbose=0, **fit)
    return model, history


@pytest.mark.parametrize("cell", CELLS)
def test_probability_one_is_plain_fit_bit_for_bit(cell, task):
    plain, plain_history = trained(cell, task, epochs=2)
    for teacher_forcing in (1.0, 1, schedules.Constant(1.0), lambda step: 1.0):
        model, history = trained(cell, task, epochs=2, teacher_forcing=teacher_forcing)
        assert history.history == plain_history.history
        for got, want in zip(model.get_weights(), plain.get_weights(), strict=True):
            np.testing.assert_array_equal(got, want)


# The attention between the decoder and the Dense layer runs inside the step loop too.
ATTENTIONS = [None, "dot", "additive"]


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_step_by_step_decoder_with_every_coin_true_is_the_batched_decoder(
    cell, attention
):
    model = random_model(cell, attention=attention)
    enc_x, dec_x, dec_y = random_data(np.random.default_rng(1))
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)
    teacher = np.ones(dec_x.shape[:2], dtype=bool)
    step_loss, step_grads = model.loss_and_grads(enc_x, dec_x, dec_y, teacher)
    # The same products in another grouping: measured 4e-16 apart at most.
    assert step_loss == pytest.approx(loss, rel=1e-13)
    for got, want in zip(step_grads, grads, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("coins", ["none true", "mixed"])
def test_gradients_match_central_differences_with_fed_back_predictions_held(
    cell, coins, attention
):
    """The gradient of the loss with the fed-back predictions taken as constants: the
    inputs one sampled forward read, recorded, then given to the teacher-forced model
    as data while each weight is moved."""
    rng = np.random.default_rng(7)
    model = random_model(cell, attention=attention)
    enc_x, dec_x, dec_y = random_data(rng)
    teacher = np.zeros(dec_x.shape[:2], dtype=bool)
    if coins == "mixed":
        teacher = rng.random(dec_x.shape[:2]) < 0.5
    held = fed_inputs(model, enc_x, dec_x, teacher)
    loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y, teacher)
    assert loss == pytest.approx(np.mean((model.forward(enc_x, held) - dec_y) ** 2))
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        numeric = numerical_gradient(
            lambda: model.loss_and_grads(enc_x, held, dec_y)[0], weight
        )
        assert rel_error(grad, numeric) < TOL


def test_the_fed_back_prediction_is_read_where_the_coin_is_false():
    model = random_model("lstm")
    enc_x, dec_x, _ = random_data(np.random.default_rng(2))
    teacher = np.zeros(dec_x.shape[:2], dtype=bool)
    free = model.call(enc_x, dec_x, teacher)
    # All coins false: the decoder runs free after its first input, as predict does
    # from the zero start value.
    start = dec_x.copy()
    start[:, 0] = 0.0
    np.testing.assert_allclose(
        model.call(enc_x, start, teacher), model.predict(enc_x, steps=5), rtol=1e-12
    )
    assert not np.allclose(free, model.call(enc_x, dec_x))


@pytest.mark.parametrize("cell", CELLS)
def test_coins_resume_exactly_after_save_and_load(cell, task, tmp_path):
    schedule = schedules.InverseSigmoidDecay(2)  # 0.88, 0.58, ... over the steps
    whole, _ = trained(cell, task, epochs=2, teacher_forcing=schedule)
    first, _ = trained(cell, task, epochs=1, teacher_forcing=schedule)
    first.save(tmp_path / "model.npz")
    resumed = ml.Seq2Seq.load(tmp_path / "model.npz")
    resumed.fit(
        *task,
        epochs=2,
        initial_epoch=resumed.completed_epochs,
        batch_size=5,
        verbose=0,
        teacher_forcing=schedule,
    )
    for got, want in zip(resumed.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_coins_are_seeded_and_change_the_training(task):
    once, _ = trained("lstm", task, epochs=1, teacher_forcing=0.5)
    again, _ = trained("lstm", task, epochs=1, teacher_forcing=0.5)
    forced, _ = trained("lstm", task, epochs=1)
    for a, b in zip(once.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(once.get_weights()[4], forced.get_weights()[4])


def test_coins_come_up_true_with_the_schedules_probability():
    drawn = decoding.coins(schedules.ExponentialDecay(0.5), 3, [0, 0, 0], (200, 50))
    # p = 0.5 ** 3 over 10,000 coins: the standard deviation of the mean is 0.0033.
    assert drawn.shape == (200, 50)
    assert drawn.mean() == pytest.approx(0.125, abs=0.015)
    assert decoding.coins(lambda step: 1.0, 3, [0, 0, 0], (200, 50)) is None


@pytest.mark.parametrize("cell", CELLS)
def test_float32_trains_in_float32(cell, task):
    model = ml.Seq2Seq(units=4, seed=3, cell=cell, dtype=np.float32)
    history = model.fit(*task, epochs=1, batch_size=5, verbose=0, teacher_forcing=0.5)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert np.isfinite(history.history["loss"][0])
    model64 = ml.Seq2Seq(units=4, seed=3, cell=cell)
    model64.fit(*task, epochs=1, batch_size=5, verbose=0, teacher_forcing=0.5)
    # Same coins, same steps, float32's rounding: measured 1.1e-7 apart at most.
    for got, want in zip(model.get_weights(), model64.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_a_diverging_sampled_run_is_reported_and_the_last_finite_state_kept(task):
    model = ml.Seq2Seq(units=4, seed=3)
    with pytest.raises(ml.TrainingDivergedError) as raised:
        model.fit(
            *task,
            epochs=3,
            batch_size=5,
            verbose=0,
            optimizer=ml.SGD(learning_rate=1e30),
            teacher_forcing=0.5,
        )
    assert len(raised.value.history.history["loss"]) == raised.value.epoch
    assert "from an overflow" in str(raised.value)
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize(
    ("teacher_forcing", "error", "message"),
    [
        (1.5, ValueError, r"teacher_forcing must be a finite number in \[0.0, 1.0\]"),
        (True, TypeError, "teacher_forcing must be a number"),
        ("-0.5", ValueError, r"p must be a finite number in \[0.0, 1.0\]; got -0.5"),
        ("cosine:3", ValueError, "teacher_forcing must be a probability P or one of"),
        ("linear:a", ValueError, r"teacher_forcing linear takes linear:C\[:MINIMUM\]"),
        (lambda step: 2.0, ValueError, r"teacher_forcing\(0\) must be a finite"),
    ],
)
def test_bad_teacher_forcing_is_refused_naming_it(
    task, teacher_forcing, error, message
):
    model = ml.Seq2Seq(units=2, seed=0)
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(*task, epochs=1, verbose=0, teacher_forcing=teacher_forcing)
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_loss_and_grads_refuses_coins_of_another_shape():
    model = random_model("lstm")
    enc_x, dec_x, dec_y = random_data(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"teacher must be booleans of shape"):
        model.loss_and_grads(enc_x, dec_x, dec_y, np.ones((3, 4), dtype=bool))


def test_schedules_at_known_steps():
    assert schedules.Constant(0.3)(0) == schedules.Constant(0.3)(10**6) == 0.3
    linear = schedules.LinearDecay(c=0.01, minimum=0.2)
    assert [linear(i) for i in (0, 50, 80, 1000)] == pytest.approx([1, 0.5, 0.2, 0.2])
    exponential = schedules.ExponentialDecay(0.5)
    assert [exponential(i) for i in (0, 1, 3)] == [1.0, 0.5, 0.125]
    sigmoid = schedules.InverseSigmoidDecay(10)
    assert sigmoid(0) == pytest.approx(10 / 11)
    assert sigmoid(10 * math.log(10)) == pytest.approx(0.5)
    assert sigmoid(10**6) == 0.0


def test_get_reads_the_demos_text():
    assert schedules.get("0.25")(7) == 0.25
    assert schedules.get(0.25)(7) == 0.25
    assert schedules.get("inverse_sigmoid:40").k == 40
    assert schedules.get("exponential:0.99").k == 0.99
    linear = schedules.get("linear:0.01:0.1")
    assert (linear.c, linear.minimum) == (0.01, 0.1)
    assert schedules.get("constant:0.5")(3) == 0.5


def test_the_demo_option_is_fit_s_teacher_forcing():
    from minilstm.demo import experiment, options, recipes

    assert options.parse_args([]).settings.teacher_forcing == 1.0
    assert (
        options.parse_args(["--teacher-forcing", "0.5"]).settings.teacher_forcing == 0.5
    )
    args = options.parse_args(["--teacher-forcing", "exponential:0.9"])
    assert args.settings.teacher_forcing == "exponential:0.9"
    settings = dataclasses.replace(
        args.settings, epochs=2, units=4, window=8, batch_size=16
    )
    result = experiment.run_task("damped", settings, verbose=False)
    data = load_task("damped", window=8)
    model = ml.Seq2Seq(4, seed=0)
    model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=2,
        batch_size=16,
        verbose=0,
        teacher_forcing=schedules.ExponentialDecay(0.9),
    )
    for got, want in zip(result.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert "teacher forcing exponential:0.9" in recipes.describe(settings)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--teacher-forcing", "1.5"], "p must be a finite number in [0.0, 1.0]"),
        (["--teacher-forcing", "cosine:4"], "a probability P or one of"),
        (["--teacher-forcing", "0.5", "--compare-keras"], "teacher-forced only"),
    ],
)
def test_the_demo_refuses_a_bad_teacher_forcing(args, says, capsys):
    from minilstm.demo import options

    with pytest.raises(SystemExit) as exited:
        options.parse_args(args)
    assert exited.value.code == 2
    assert says in capsys.readouterr().err
