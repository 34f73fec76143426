"""Bad input to any public call raises TypeError or ValueError naming the argument, what
was expected and what came, never an error from inside NumPy."""

import numpy as np
import pytest

import minilstm as ml
from minilstm.data import load_task, make_windows
from minilstm.gradcheck import numerical_gradient

rng = np.random.default_rng(0)
ENC_X = rng.normal(size=(5, 4, 1))
DEC_X = rng.normal(size=(5, 3, 1))
DEC_Y = rng.normal(size=(5, 3, 1))


def with_nan(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flat[2] = np.nan
    return a


def model() -> ml.Seq2Seq:
    return ml.Seq2Seq(units=3, seed=0)


def lstm(**kwargs) -> ml.LSTM:
    layer = ml.LSTM(3, seed=0, **kwargs)
    layer.build(2)
    return layer


def lstm_after_forward(**kwargs) -> ml.LSTM:
    layer = lstm(**kwargs)
    layer.forward(np.ones((2, 4, 2)))
    return layer


def dense_after_forward() -> ml.Dense:
    layer = ml.Dense(2, seed=0)
    layer.forward(np.ones((2, 4, 3)))
    return layer


def bad_weights(k: int, value: np.ndarray) -> list[np.ndarray]:
    weights = model().get_weights()
    weights[k] = value
    return weights


# (call, exception, the message must match): a message names the argument and shows
# both the expectation and what came.
CASES = {
    # Seq2Seq construction
    "units 0": (
        lambda: ml.Seq2Seq(units=0),
        ValueError,
        r"units must be an integer >= 1; got 0",
    ),
    "units float": (
        lambda: ml.Seq2Seq(units=2.5),
        TypeError,
        r"units must be an integer; got 2.5",
    ),
    "units bool": (
        lambda: ml.Seq2Seq(units=True),
        TypeError,
        r"units must be an integer",
    ),
    "input_dim -1": (
        lambda: ml.Seq2Seq(input_dim=-1),
        ValueError,
        r"input_dim must be .*got -1",
    ),
    "output_dim str": (
        lambda: ml.Seq2Seq(output_dim="1"),
        TypeError,
        r"output_dim must be",
    ),
    "seed negative": (
        lambda: ml.Seq2Seq(seed=-3),
        ValueError,
        r"seed must be an integer >= 0",
    ),
    "dtype int": (
        lambda: ml.Seq2Seq(dtype=np.int64),
        ValueError,
        r"dtype must be float32 or",
    ),
    "dtype junk": (
        lambda: ml.Seq2Seq(dtype="floaty"),
        TypeError,
        r"dtype must be float32 or",
    ),
    # Seq2Seq arrays
    "enc_x 2-D": (
        lambda: model().forward(ENC_X[..., 0], DEC_X),
        ValueError,
        r"enc_x must have shape \(N, T_enc, 1\); got \(5, 4\)",
    ),
    "enc_x features": (
        lambda: model().forward(np.ones((5, 4, 2)), DEC_X),
        ValueError,
        r"enc_x must have shape \(N, T_enc, 1\); got \(5, 4, 2\)",
    ),
    "dec_x batch": (
        lambda: model().forward(ENC_X, DEC_X[:4]),
        ValueError,
        r"dec_x must have shape \(N, T_dec, 1\) with N = 5 as in enc_x; got \(4, 3, "
        r"1\)",
    ),
    "dec_y steps": (
        lambda: model().loss_and_grads(ENC_X, DEC_X, DEC_Y[:, :2]),
        ValueError,
        r"dec_y must have shape \(N, T_dec, 1\) with N = 5 as in enc_x, T_dec = 3 as "
        r"in dec_x",
    ),
    "enc_x empty": (
        lambda: model().predict(np.ones((0, 4, 1))),
        ValueError,
        r"enc_x must not be empty; got shape \(0, 4, 1\)",
    ),
    "enc_x NaN": (
        lambda: model().predict(with_nan(ENC_X)),
        ValueError,
        r"enc_x must be finite; got 1 NaN or infinite value\(s\), the first at index "
        r"\(0, 2, 0\)",
    ),
    "dec_y inf": (
        lambda: model().evaluate(ENC_X, DEC_X, DEC_Y * np.inf),
        ValueError,
        r"dec_y must be finite; got 15 NaN",
    ),
    "enc_x bool": (
        lambda: model().forward(ENC_X > 0, DEC_X),
        TypeError,
        r"enc_x must hold float or integer numbers; got dtype bool",
    ),
    "dec_x strings": (
        lambda: model().forward(ENC_X, DEC_X.astype(str)),
        TypeError,
        r"dec_x must hold float or integer numbers; got dtype <U",
    ),
    "dec_x objects": (
        lambda: model().forward(ENC_X, DEC_X.astype(object)),
        TypeError,
        r"dec_x must hold float or integer numbers; got dtype object",
    ),
    "enc_x None": (
        lambda: model().predict(None),
        TypeError,
        r"enc_x must be an array of numbers; got NoneType",
    ),
    "enc_x ragged": (
        lambda: model().predict([[[1.0], [2.0]], [[1.0]]]),
        ValueError,
        r"enc_x must be an array of numbers",
    ),
    "float32 overflow": (
        lambda: ml.Seq2Seq(units=2, dtype=np.float32).predict(ENC_X * 1e300),
        ValueError,
        r"enc_x must be finite",
    ),
    "steps 0": (
        lambda: model().predict(ENC_X, steps=0),
        ValueError,
        r"steps must be .*got 0",
    ),
    # fit's settings
    "epochs negative": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, epochs=-1, verbose=0),
        ValueError,
        r"epochs must be an integer >= 0; got -1",
    ),
    "batch_size 0": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, batch_size=0, verbose=0),
        ValueError,
        r"batch_size must be an integer >= 1; got 0",
    ),
    "batch_size float": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, batch_size=2.0, verbose=0),
        TypeError,
        r"batch_size must be an integer; got 2.0",
    ),
    "initial_epoch past epochs": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, epochs=2, initial_epoch=3, verbose=0),
        ValueError,
        r"initial_epoch must be an integer between 0 and 2; got 3",
    ),
    "verbose 5": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, verbose=5),
        ValueError,
        r"verbose must be one of \[0, 1, 2, 'auto'\]; got 5",
    ),
    "shuffle str": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, shuffle="yes", verbose=0),
        TypeError,
        r"shuffle must be True or False",
    ),
    "optimizer name": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, optimizer="adamw", verbose=0),
        ValueError,
        r"optimizer must be one of \['adam', 'rmsprop', 'sgd'\] or an Optimizer; got "
        r"'adamw'",
    ),
    "optimizer type": (
        lambda: model().fit(ENC_X, DEC_X, DEC_Y, optimizer=0.01, verbose=0),
        TypeError,
        r"optimizer must be one of",
    ),
    # set_weights
    "weights count": (
        lambda: model().set_weights(model().get_weights()[:7]),
        ValueError,
        r"weights must be a list of 8 arrays; got 7",
    ),
    "weights not a list": (
        lambda: model().set_weights(np.zeros(8)),
        TypeError,
        r"weights must be a list of 8 arrays; got ndarray",
    ),
    "weights shape": (
        lambda: model().set_weights(bad_weights(4, np.zeros((3, 3)))),
        ValueError,
        r"weights\[4\] must have shape \(3, 12\); got \(3, 3\)",
    ),
    "weights NaN": (
        lambda: model().set_weights(bad_weights(7, np.array([np.nan]))),
        ValueError,
        r"weights\[7\] must be finite",
    ),
    # LSTM
    "LSTM units": (
        lambda: ml.LSTM(0),
        ValueError,
        r"units must be an integer >= 1; got 0",
    ),
    "LSTM return_state": (
        lambda: ml.LSTM(2, return_state="no"),
        TypeError,
        r"return_state must be True or False",
    ),
    "LSTM x ndim": (
        lambda: lstm().forward(np.ones((2, 4))),
        ValueError,
        r"x must have shape \(N, T, 2\); got \(2, 4\)",
    ),
    "LSTM x features": (
        lambda: lstm().forward(np.ones((2, 4, 3))),
        ValueError,
        r"x must have shape \(N, T, 2\); got \(2, 4, 3\)",
    ),
    "LSTM initial_state batch": (
        lambda: lstm().forward(
            np.ones((2, 4, 2)), initial_state=(np.ones((3, 3)),) * 2
        ),
        ValueError,
        r"initial_state\[0\] must have shape \(N, 3\) with N = 2 as in x; got \(3, 3\)",
    ),
    "LSTM initial_state single": (
        lambda: lstm().forward(np.ones((2, 4, 2)), initial_state=np.ones((2, 3))),
        TypeError,
        r"initial_state must be a pair \(h, c\) of arrays; got ndarray",
    ),
    "LSTM backward dy": (
        lambda: lstm_after_forward(return_sequences=True).backward(np.ones((2, 3))),
        ValueError,
        r"dy must have shape \(N, T, 3\) with N = 2 as in the last forward, T = 4 as "
        r"in",
    ),
    "LSTM backward dc": (
        lambda: lstm_after_forward().backward(np.ones((2, 3)), dc=np.ones((2, 4))),
        ValueError,
        r"dc must have shape \(N, 3\) with N = 2 as in the last forward; got \(2, 4\)",
    ),
    "LSTM set_weights": (
        lambda: lstm().set_weights([np.ones((2, 12)), np.ones((3, 12)), np.ones(3)]),
        ValueError,
        r"weights\[2\] must have shape \(12,\); got \(3,\)",
    ),
    # Dense
    "Dense units": (
        lambda: ml.Dense(-2),
        ValueError,
        r"units must be an integer >= 1; got -2",
    ),
    "Dense x": (
        lambda: dense_after_forward().forward(np.ones((2, 4, 5))),
        ValueError,
        r"x must have shape \(N, T, 3\); got \(2, 4, 5\)",
    ),
    "Dense dy": (
        lambda: dense_after_forward().backward(np.ones((2, 4, 3))),
        ValueError,
        r"dy must have shape \(N, T, 2\) with N = 2 as in the last forward",
    ),
    # optimizers
    "learning_rate negative": (
        lambda: ml.Adam(learning_rate=-1e-3),
        ValueError,
        r"learning_rate must be a finite number >= 0.0; got -0.001",
    ),
    "learning_rate NaN": (
        lambda: ml.SGD(learning_rate=float("nan")),
        ValueError,
        r"learning_rate must be a finite number >= 0.0; got nan",
    ),
    "learning_rate str": (
        lambda: ml.RMSprop(learning_rate="fast"),
        TypeError,
        r"learning_rate must be a number; got 'fast'",
    ),
    "schedule returns inf": (
        lambda: ml.SGD(learning_rate=lambda step: np.inf).apply(
            [np.ones(1)], [np.ones(1)]
        ),
        ValueError,
        r"learning_rate\(0\) must be a finite number >= 0.0; got inf",
    ),
    "clipnorm 0": (
        lambda: ml.Adam(clipnorm=0),
        ValueError,
        r"clipnorm must be a finite number > 0",
    ),
    "two clips": (
        lambda: ml.Adam(clipnorm=1.0, clipvalue=1.0),
        ValueError,
        r"only one of clipnorm, clipvalue and global_clipnorm can be set",
    ),
    "beta_1 is 1": (
        lambda: ml.Adam(beta_1=1.0),
        ValueError,
        r"beta_1 must be a finite number in \[0.0, 1.0\); got 1.0",
    ),
    "rho": (
        lambda: ml.RMSprop(rho=1.5),
        ValueError,
        r"rho must be a finite number in \[0.0, 1.0\)",
    ),
    "momentum": (
        lambda: ml.SGD(momentum=-0.5),
        ValueError,
        r"momentum must be .*got -0.5",
    ),
    "epsilon": (
        lambda: ml.Adam(epsilon=-1.0),
        ValueError,
        r"epsilon must be .*>= 0.0; got -1.0",
    ),
    "apply count": (
        lambda: ml.SGD().apply([np.ones(2)], [np.ones(2), np.ones(2)]),
        ValueError,
        r"grads and variables must have the same length; got 1 gradients for 2 "
        r"variables",
    ),
    "apply shapes": (
        lambda: ml.SGD().apply([np.ones(3)], [np.ones(2)]),
        ValueError,
        r"grads\[0\] must have shape \(2,\); got \(3,\)",
    ),
    "apply grads None": (
        lambda: ml.SGD().apply(None, [np.ones(2)]),
        TypeError,
        r"grads must be a list of arrays; got None \(NoneType\)",
    ),
    "apply integer variable": (
        lambda: ml.SGD().apply([np.ones(2)], [np.ones(2, dtype=int)]),
        TypeError,
        r"variables\[0\] must be a float NumPy array, updated in place; got an array "
        r"of shape",
    ),
    # model files
    "save path None": (
        lambda: model().save(None),
        TypeError,
        r"path must be a str or a pathlib.Path; got None",
    ),
    "load path bytes": (
        lambda: ml.Seq2Seq.load(b"model.npz"),
        TypeError,
        r"path must be a str or a pathlib.Path; got b'model.npz' \(bytes\)",
    ),
    "dtype array shown short": (
        lambda: ml.Seq2Seq(dtype=np.ones((50, 50))),
        TypeError,
        r"dtype must be float32 or float64; got an array of shape \(50, 50\) and "
        r"dtype float64$",
    ),
    # gradcheck
    "gradcheck integer x": (
        lambda: numerical_gradient(lambda: 0.0, np.arange(3)),
        TypeError,
        r"x must be a float NumPy array, changed in place; got an array of shape "
        r"\(3,\)",
    ),
    "gradcheck h": (
        lambda: numerical_gradient(lambda: 0.0, np.ones(3), h=0.0),
        ValueError,
        r"h must be a finite number > 0.0; got 0.0",
    ),
    # data
    "task name": (
        lambda: load_task("tan_cot"),
        ValueError,
        r"name must be one of \['damped', 'sin_cos', 'square_sqrt'\]; got 'tan_cot'",
    ),
    "window too long": (
        lambda: load_task("sin_cos", num_points=20, window=24),
        ValueError,
        r"window must be an integer between 1 and 19; got 24",
    ),
    "num_points": (
        lambda: load_task("sin_cos", num_points=1),
        ValueError,
        r"num_points must be",
    ),
    "seq lengths differ": (
        lambda: make_windows(np.ones(10), np.ones(9), window=3),
        ValueError,
        r"seq_out must have shape \(P,\) with P = 10 as in seq_in; got \(9,\)",
    ),
    "seq 2-D": (
        lambda: make_windows(np.ones((10, 1)), np.ones(10), window=3),
        ValueError,
        r"seq_in must have shape \(P,\); got \(10, 1\)",
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), CASES.values(), ids=CASES.keys())
def test_bad_input_raises_a_clear_error_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert type(caught.value) is error  # not a subclass from deep inside NumPy


def test_integer_arrays_are_accepted_and_cast():
    m = model()
    enc_x, dec_x = np.arange(20).reshape(5, 4, 1), np.arange(15).reshape(5, 3, 1)
    y = m.forward(enc_x, dec_x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(
        y, m.forward(enc_x.astype(float), dec_x.astype(float))
    )
    enc_x, dec_x, dec_y = make_windows(np.arange(10), np.arange(10), window=3)
    assert enc_x.dtype == dec_x.dtype == dec_y.dtype == np.float64


def test_nested_lists_are_accepted_like_arrays():
    m = model()
    y = m.forward(ENC_X.tolist(), DEC_X.tolist())
    np.testing.assert_array_equal(y, m.forward(ENC_X, DEC_X))


def test_a_rejected_fit_leaves_the_model_and_its_optimizer_untouched():
    m = model()
    before = m.get_weights()
    with pytest.raises(ValueError, match="batch_size"):
        m.fit(ENC_X, DEC_X, DEC_Y, batch_size=0, optimizer="sgd", verbose=0)
    assert m.optimizer is None
    for a, b in zip(before, m.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("verbose", "lines"), [(False, 0), (True, 1), ("auto", 1), (2, 1)]
)
def test_verbose_takes_keras_values_and_booleans(capsys, verbose, lines):
    model().fit(ENC_X, DEC_X, DEC_Y, epochs=1, verbose=verbose)
    assert len(capsys.readouterr().out.splitlines()) == lines
