"""The "Why gates" page: how far back the gradient reaches in each cell, and the three
cells on the three tasks. Kept short for the site build: one seed and EPOCHS epochs
(the article trains 35)."""

import time

import numpy as np
from _site import cpu_label, panels, record, save_figure, sci

import minilstm as ml
from minilstm import article
from minilstm.data import TASKS, load_task

EPOCHS = 15
CELLS = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
COLORS = {"rnn": "tab:orange", "gru": "tab:purple", "lstm": "tab:red"}


# --8<-- [start:reach]
def reach(model: ml.Seq2Seq, enc_x: np.ndarray) -> np.ndarray:
    """|dL/dx_{t-k}| for k = 0, 1, ... when the gradient on the encoder's final h is
    all ones: what the decoder can send back to each input step, relative to k = 0."""
    model.encoder.forward(enc_x)
    ones = np.ones((len(enc_x), model.units))
    dx = model.encoder.backward(None, ones)[0]  # (N, T, D)
    norms = np.linalg.norm(dx.reshape(len(enc_x), enc_x.shape[1], -1), axis=(0, 2))
    return norms[::-1] / norms[-1]  # reversed: distance k from the last step


# --8<-- [end:reach]

reaches, rows = {}, []
for cell, name in CELLS.items():
    for task in TASKS:
        data = load_task(task)
        model = ml.Seq2Seq(article.UNITS, seed=0, cell=cell)
        if task == "sin_cos":
            reaches[cell, "initialisation"] = reach(model, data.enc_x)
        start = time.process_time()
        history = model.fit(
            data.enc_x, data.dec_x, data.dec_y, epochs=EPOCHS, verbose=0
        )
        seconds = time.process_time() - start
        if task == "sin_cos":
            reaches[cell, f"after {EPOCHS} epochs"] = reach(model, data.enc_x)
        mse = float(np.mean((model.predict(data.enc_x) - data.dec_y) ** 2))
        loss = history.history["loss"][-1]
        rows.append((task, name, model.count_params(), loss, mse, seconds))

print("| task | cell | weights | final loss | autoregressive MSE | time |")
print("|---|---|---:|---:|---:|---:|")
for task, name, count, loss, mse, seconds in rows:
    print(
        f"| {task} | {name} | {count:,} | {sci(loss)} | {sci(mse)} | {seconds:.1f} s |"
    )

fig, axes = panels(2, height=3, sharex=True, sharey=True)
for ax, when in zip(axes, ("initialisation", f"after {EPOCHS} epochs"), strict=True):
    for cell, name in CELLS.items():
        norms = reaches[cell, when]
        ax.semilogy(norms, marker="o", ms=3, color=COLORS[cell], label=name)
    ax.set_title(f"at {when}" if when == "initialisation" else when)
    ax.set_ylabel(r"$\|\partial L / \partial x_{t-k}\|$" + "\n(relative to k = 0)")
axes[-1].set_xlabel("distance k")
axes[-1].legend(loc="lower left")
TITLE = "Gradient from the encoder's final state\nback to each input (sin → cos)"
fig.suptitle(TITLE)
save_figure(fig, "why-gates-reach")

T = load_task("sin_cos").enc_x.shape[1]
record(
    cpu=cpu_label(),
    epochs=EPOCHS,
    steps_back=T - 1,
    **{
        f"{cell}_{'init' if when == 'initialisation' else 'trained'}": sci(norms[-1], 0)
        for (cell, when), norms in reaches.items()
    },
)
