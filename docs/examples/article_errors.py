"""What the article got wrong: each error of its listing, redone in NumPy, and its
effect."""

# --8<-- [start:zeros]
import numpy as np

import minilstm as ml
from minilstm.lstm import lstm_step_forward


def decode_feeding_zeros(model: ml.Seq2Seq, enc_x: np.ndarray) -> np.ndarray:
    """The listing's loop in effect: each prediction is written to the wrong array, so
    the decoder's input stays zero at every step; only the states are carried."""
    _, h, c = model.encoder.forward(enc_x)
    dec, dense = model.decoder, model.dense
    zeros = np.zeros((len(enc_x), 1))
    y = np.empty((len(enc_x), enc_x.shape[1], 1))
    for t in range(enc_x.shape[1]):
        (h, c), _ = lstm_step_forward(
            zeros, h, c, dec.kernel, dec.recurrent_kernel, dec.bias
        )
        y[:, t] = h @ dense.kernel + dense.bias
    return y


# --8<-- [end:zeros]

# --8<-- [start:crossentropy]
from minilstm import article
from minilstm.data import load_task
from minilstm.gradcheck import numerical_gradient


def categorical_crossentropy(
    y_pred: np.ndarray, y_true: np.ndarray, eps: float = 1e-7
) -> float:
    """Keras's categorical cross-entropy on probabilities, over the last axis."""
    p = y_pred / np.sum(y_pred, axis=-1, keepdims=True)  # one unit: p = y / y = 1
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-np.sum(y_true * np.log(p), axis=-1)))


damped = load_task("damped")
fresh = ml.Seq2Seq(units=article.UNITS, seed=0)
batch = slice(0, article.BATCH_SIZE)


def loss() -> float:
    y = fresh.forward(damped.enc_x[batch], damped.dec_x[batch])
    return categorical_crossentropy(y, damped.dec_y[batch])


print(f"cross-entropy on one output unit: {loss():.2e}")
for name, weight in zip(
    ("dense kernel", "decoder kernel"),
    (fresh.dense.kernel, fresh.decoder.kernel),
    strict=True,
):
    largest = np.abs(numerical_gradient(loss, weight)).max()
    print(f"its gradient on the {name}: largest |value| {largest:.1e}")
# --8<-- [end:crossentropy]

from _site import panels, record, save_figure, sci


def train(task: str) -> tuple:
    data = load_task(task)
    model = ml.Seq2Seq(units=article.UNITS, seed=0)
    model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=article.EPOCHS,
        batch_size=article.BATCH_SIZE,
        verbose=0,
    )
    return data, model


def mse(y: np.ndarray, data) -> float:
    return float(np.mean((y - data.dec_y) ** 2))


def draw(ax, data, y, title):
    ax.plot(data.x, data.seq_out, color="0.6", lw=4, alpha=0.5, label="truth")
    for i in article.START_POINTS:
        ax.plot(data.x[i : i + article.WINDOW], y[i, :, 0], lw=1.5, label=f"window {i}")
    ax.set_title(title, fontsize=11)


def finish(fig, axes) -> None:
    """The x axis labelled once, under the bottom panel; one legend for both panels,
    under the figure, in a row."""
    axes[-1].set_xlabel("x")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=5)


sin_cos, model = train("sin_cos")
damped, damped_model = train("damped")

# Error 1: the decoder fed zeros instead of its own predictions.
y_zeros, y_right = (
    decode_feeding_zeros(model, sin_cos.enc_x),
    model.predict(sin_cos.enc_x),
)
ratio = mse(y_zeros, sin_cos) / mse(y_right, sin_cos)
record(
    zeros=sci(mse(y_zeros, sin_cos)),
    right=sci(mse(y_right, sin_cos)),
    ratio=f"{float(f'{ratio:.1g}'):,.0f}",
)
fig, axes = panels(2, sharex=True, sharey=True)
draw(
    axes[0],
    sin_cos,
    y_zeros,
    f"as the listing decodes: zeros fed back (MSE {mse(y_zeros, sin_cos):.1e})",
)
draw(
    axes[1],
    sin_cos,
    y_right,
    f"corrected: predictions fed back (MSE {mse(y_right, sin_cos):.1e})",
)
finish(fig, axes)
save_figure(fig, "errors-feedback")

# Error 2: the damped oscillation decoded with the sin -> cos model
# (and, as in the listing, feeding zeros), against its own model decoding correctly.
y_wrong_model = decode_feeding_zeros(model, damped.enc_x)
y_own = damped_model.predict(damped.enc_x)
record(wrong_model=sci(mse(y_wrong_model, damped)), own=sci(mse(y_own, damped)))
fig, axes = panels(2, sharex=True, sharey=True)
draw(axes[0], damped, y_wrong_model, "as the listing decodes: the sin → cos model")
draw(axes[1], damped, y_own, f"corrected: its own model (MSE {mse(y_own, damped):.1e})")
finish(fig, axes)
save_figure(fig, "errors-wrong-model")


rms = ml.Seq2Seq(units=article.UNITS, seed=0)
rms.fit(
    damped.enc_x,
    damped.dec_x,
    damped.dec_y,
    epochs=article.EPOCHS,
    batch_size=article.BATCH_SIZE,
    optimizer=ml.RMSprop(),
    verbose=0,
)
y_rms = rms.predict(damped.enc_x)
record(rmsprop=sci(mse(y_rms, damped)))
