"""The "Why gates" page: a task that needs a long memory, the adding problem, learnt by
the three cells over 10 and over 50 steps, three seeds each."""

# --8<-- [start:adding]
import numpy as np

import minilstm as ml


def adding_problem(n: int, T: int, rng: np.random.Generator) -> tuple:
    """n sequences of T steps with two features each: a value drawn from [-1, 1], and a
    marker that is 1 at two steps (one in each half) and 0 elsewhere. The target is the
    sum of the two marked values, one decoder step after a zero input.

    Returns enc_x (n, T, 2), dec_x (n, 1, 1) of zeros, dec_y (n, 1, 1)."""
    values = rng.uniform(-1, 1, (n, T))
    markers = np.zeros((n, T))
    rows = np.arange(n)
    first, second = rng.integers(0, T // 2, n), rng.integers(T // 2, T, n)
    markers[rows, first] = markers[rows, second] = 1.0
    enc_x = np.stack([values, markers], axis=-1)
    dec_y = (values[rows, first] + values[rows, second])[:, None, None]
    return enc_x, np.zeros_like(dec_y), dec_y


CELLS = {"rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
results, losses = {}, {}
print("MSE on 512 held-out sequences; answering 0 every time makes 2/3 = 0.67")
print(f"{'T':>3}  {'seed':>4}  " + "  ".join(f"{n:>9}" for n in CELLS.values()))
for T in (10, 50):
    for seed in (0, 1, 2):
        rng = np.random.default_rng(seed)
        train, held_out = adding_problem(512, T, rng), adding_problem(512, T, rng)
        for cell in CELLS:
            model = ml.Seq2Seq(units=16, input_dim=2, seed=seed, cell=cell)
            history = model.fit(
                *train, epochs=30, batch_size=32, optimizer=ml.Adam(1e-2), verbose=0
            )
            y = model.predict(held_out[0], steps=1)
            results[T, seed, cell] = float(np.mean((y - held_out[2]) ** 2))
            losses[T, seed, cell] = history.history["loss"]
        mses = "  ".join(f"{results[T, seed, c]:9.4f}" for c in CELLS)
        print(f"{T:>3}  {seed:>4}  {mses}")
# --8<-- [end:adding]

import matplotlib.pyplot as plt
from _site import record, save_figure, sci


def spread(T: int, cell: str) -> str:
    """The three seeds' MSEs as "lowest to highest"."""
    values = sorted(results[T, s, cell] for s in (0, 1, 2))
    return f"{sci(values[0])} to {sci(values[-1])}"


record(
    **{f"{cell}_{T}": spread(T, cell) for T in (10, 50) for cell in CELLS},
    rnn_50_best=f"{min(results[50, s, 'rnn'] for s in (0, 1, 2)):.2f}",
    gated_50_worst=sci(
        max(results[50, s, c] for s in (0, 1, 2) for c in ("gru", "lstm"))
    ),
)

fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
colors = {"rnn": "tab:orange", "gru": "tab:purple", "lstm": "tab:red"}
for cell, name in CELLS.items():
    for seed in (0, 1, 2):
        ax.semilogy(
            range(1, 31),
            losses[50, seed, cell],
            color=colors[cell],
            lw=1.5,
            alpha=0.8,
            label=name if seed == 0 else None,
        )
ax.axhline(2 / 3, color="0.5", ls=":", lw=1, label="answering 0")
ax.set(
    xlabel="epoch",
    ylabel="training loss (MSE)",
    title="The adding problem over T = 50 steps: three seeds per cell",
)
ax.legend(ncol=2)
save_figure(fig, "why-gates-adding")
