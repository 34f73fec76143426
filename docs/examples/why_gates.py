"""The "Why gates" page: how far back the gradient reaches in each cell, and the three
cells on the three tasks, with the article's batches of 10 and Adam. Kept short for the
site build: one seed and EPOCHS epochs (the article trains 35)."""

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
        held_out = load_task(task, split="held_out")
        model = ml.Seq2Seq(article.UNITS, seed=0, cell=cell)
        if task == "sin_cos":
            reaches[cell, "initialisation"] = reach(model, data.enc_x)
        start = time.process_time()
        # The article's batches of 10 and Adam with Keras's defaults.
        history = model.fit(
            data.enc_x,
            data.dec_x,
            data.dec_y,
            epochs=EPOCHS,
            batch_size=article.BATCH_SIZE,
            optimizer=ml.Adam(),
            verbose=0,
        )
        seconds = time.process_time() - start
        if task == "sin_cos":
            reaches[cell, f"after {EPOCHS} epochs"] = reach(model, data.enc_x)
        mse = float(np.mean((model.predict(data.enc_x) - data.dec_y) ** 2))
        held_mse = float(np.mean((model.predict(held_out.enc_x) - held_out.dec_y) ** 2))
        loss = history.history["loss"][-1]
        rows.append((task, name, model.count_params(), loss, mse, held_mse, seconds))

print(
    "| task | cell | weights | final loss | autoregressive MSE | held-out "
    "autoregressive MSE | time |"
)
print("|---|---|---:|---:|---:|---:|---:|")
for task, name, count, loss, mse, held_mse, seconds in rows:
    print(
        f"| {task} | {name} | {count:,} | {sci(loss)} | {sci(mse)} | {sci(held_mse)} "
        f"| {seconds:.1f} s |"
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

# Which cell decodes each task best after EPOCHS epochs, and how far the plain RNN is
# from the best: the page's conclusion quotes these.
by_task = {task: {n: m for t, n, _, _, m, _, _ in rows if t == task} for task in TASKS}
best = {task: min(mses, key=mses.get) for task, mses in by_task.items()}
rnn_factor = max(mses["SimpleRNN"] / mses[best[task]] for task, mses in by_task.items())
held_ratio = [held / mse for _, _, _, _, mse, held, _ in rows]
record(
    best="; ".join(f"the {name} on {task}" for task, name in best.items()),
    rnn_factor=f"{rnn_factor:.0f}",
    held_min=f"{min(held_ratio):.2f}",
    held_max=f"{max(held_ratio):.2f}",
)

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
