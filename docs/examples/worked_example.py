"""A worked example: one LSTM step forward and backward with H = 2 and round weights,
every number printed; then the gates of the trained model over one window."""

from _site import panels, printed, record, save_figure

with printed("worked_example-forward"):
    # --8<-- [start:forward]
    import numpy as np

    from minilstm.activations import sigmoid, tanh

    def show(a: np.ndarray) -> str:
        """A row of numbers, four decimals each."""
        return "[" + ", ".join(f"{v:8.4f}" for v in np.ravel(a)) + "]"

    # One sample (N = 1), one input feature (D = 1), two units (H = 2).
    x = np.array([[1.0]])  # (N, D)
    h_prev = np.array([[0.5, -0.5]])  # (N, H)
    c_prev = np.array([[1.0, -1.0]])  # (N, H)
    # Columns in Keras's order, two per block: i1 i2 | f1 f2 | g1 g2 | o1 o2
    W = np.array([[0.5, -0.5, 1.0, 0.0, 0.5, -1.0, 0.0, 0.5]])  # (D, 4H)
    U = np.array(
        [
            [0.5, 0.0, 0.0, 1.0, 1.0, 0.0, 0.5, 0.0],
            [0.0, 1.0, 0.5, 0.0, 0.0, 1.0, 0.0, -1.0],
        ]
    )  # (H, 4H)
    b = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])  # (4H,): forget bias 1

    z = x @ W + h_prev @ U + b  # (N, 4H)
    print("x W       ", show(x @ W))
    print("h_prev U  ", show(h_prev @ U))
    print("z         ", show(z))
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
    for name, pre, act, squash in (
        ("i", z_i, i, "sigmoid"),
        ("f", z_f, f, "sigmoid"),
        ("g", z_g, g, "tanh   "),
        ("o", z_o, o, "sigmoid"),
    ):
        print(f"{name}: z_{name} = {show(pre)}  {squash} -> {show(act)}")
    c = f * c_prev + i * g
    print("c = f c_prev + i g =", show(f * c_prev), "+", show(i * g), "=", show(c))
    print("tanh(c)            =", show(tanh(c)))
    h = o * tanh(c)
    print("h = o tanh(c)      =", show(h))
    # --8<-- [end:forward]

with printed("worked_example-backward"):
    # --8<-- [start:backward]
    dh = np.array([[1.0, 0.5]])  # dL/dh, from the layer above
    dc_next = np.zeros((1, 2))  # c is not used after this step

    tanh_c = np.tanh(c)
    do = tanh_c * dh  # h = o tanh(c)
    dc = dc_next + dh * o * (1 - tanh_c**2)
    di, df, dg, dc_prev = dc * g, dc * c_prev, dc * i, dc * f  # c = f c_prev + i g
    print("do = dh tanh(c)                =", show(do))
    print("dc = dc_next + dh o (1-tanh²c) =", show(dc))
    print("di = dc g                      =", show(di))
    print("df = dc c_prev                 =", show(df))
    print("dg = dc i                      =", show(dg))
    print("dc_prev = dc f                 =", show(dc_prev))
    dz_i = di * i * (1 - i)
    dz_f = df * f * (1 - f)
    dz_g = dg * (1 - g**2)
    dz_o = do * o * (1 - o)
    dz = np.concatenate([dz_i, dz_f, dz_g, dz_o], axis=1)  # (N, 4H)
    print("dz = [di i(1-i), df f(1-f), dg (1-g²), do o(1-o)]")
    print("   =", show(dz))
    dW = x.T @ dz  # (D, 4H): x = 1, so dW = dz
    dU = h_prev.T @ dz  # (H, 4H)
    db = dz.sum(axis=0)  # (4H,)
    dx = dz @ W.T  # (N, D)
    dh_prev = dz @ U.T  # (N, H)
    print("dW = x^T dz          =", show(dW))
    print("dU = h_prev^T dz, row 1 =", show(dU[0]))
    print("                  row 2 =", show(dU[1]))
    print("db = dz              =", show(db))
    print("dx = dz W^T          =", show(dx))
    print("dh_prev = dz U^T     =", show(dh_prev))
    # --8<-- [end:backward]

# The first unit's numbers, which the page works out by hand.
record(
    **{
        key: f"{value[0, 0]:.4f}"
        for key, value in {
            "i1": i,
            "f1": f,
            "g1": g,
            "o1": o,
            "fc1": f * c_prev,
            "ig1": i * g,
            "c1": c,
            "tanhc1": tanh(c),
            "h1": h,
            "dc1": dc,
            "di1": di,
            "dzi1": dz_i,
            "dzo1": dz_o,
        }.items()
    }
)

with printed("worked_example-check"):
    # --8<-- [start:check]
    from minilstm.gradcheck import numerical_gradient, rel_error
    from minilstm.lstm import lstm_step_backward, lstm_step_forward

    (h_lib, c_lib), cache = lstm_step_forward(x, h_prev, c_prev, W, U, b)
    grads = lstm_step_backward(dh, dc_next, cache)
    by_hand = (dx, dh_prev, dc_prev, dW, dU, db)
    same = np.array_equal(h_lib, h) and np.array_equal(c_lib, c)
    print("forward: the same h and c as by hand:", same)
    gap = max(float(np.max(np.abs(a - e))) for a, e in zip(grads, by_hand, strict=True))
    print(f"backward: largest difference from the gradients by hand: {gap:.0e}")

    # L = sum(dh * h): its gradient on W by central differences
    numeric_dW = numerical_gradient(
        lambda: lstm_step_forward(x, h_prev, c_prev, W, U, b)[0][0], W, dh
    )
    error = rel_error(dW, numeric_dW)
    print(f"dW against central differences: relative error {error:.0e}")
    # --8<-- [end:check]

with printed("worked_example-gates"):
    # --8<-- [start:gates]
    import minilstm as ml
    from minilstm import article
    from minilstm.data import load_task
    from minilstm.lstm import lstm_forward

    data = load_task("sin_cos")
    model = ml.Seq2Seq(units=article.UNITS, seed=0)
    model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=article.EPOCHS,
        batch_size=article.BATCH_SIZE,
        verbose=0,
    )
    # The encoder over window 0, with the pure function: its cache keeps every gate.
    window = data.enc_x[:1]  # (1, 24, 1)
    zeros = np.zeros((1, model.units))
    (hs, c_last), cache = lstm_forward(
        window, zeros, zeros, *model.encoder.get_weights()
    )
    gates = {
        name: np.stack([getattr(cell, name)[0] for cell in cache.cells])  # (T, H)
        for name in ("i", "f", "g", "o")
    }
    for name, values in gates.items():
        print(
            f"{name}: shape {values.shape}, mean {values.mean():6.3f}, "
            f"from {values.min():6.3f} to {values.max():6.3f}"
        )
    # The four units whose cell state moves most over the window
    cs = np.stack([cell.c_prev[0] for cell in cache.cells[1:]] + [c_last[0]])  # (T, H)
    units = np.argsort(np.ptp(cs, axis=0))[::-1][:4]
    print("units plotted:", units.tolist())
    # --8<-- [end:gates]

record(
    f_mean=f"{gates['f'].mean():.2f}",
    i_mean=f"{gates['i'].mean():.2f}",
    o_mean=f"{gates['o'].mean():.2f}",
)

fig, axes = panels(5, height=1.9, sharex=True)
t = np.arange(window.shape[1])
axes[0].plot(t, window[0, :, 0], color="0.3", lw=2)
axes[0].set_title(r"the encoder's input $x_t = \sin x$, window 0")
colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
titles = {
    "i": "input gate $i_t$",
    "f": "forget gate $f_t$",
    "g": "candidate $g_t$",
    "o": "output gate $o_t$",
}
for ax, (name, values) in zip(axes[1:], gates.items(), strict=True):
    for color, unit in zip(colors, units, strict=True):
        ax.plot(t, values[:, unit], color=color, lw=1.8, label=f"unit {unit}")
    ax.set_title(titles[name])
    ax.set_ylim(-1.05 if name == "g" else -0.02, 1.05)
axes[-1].set_xlabel("time step t")
fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=4)
save_figure(fig, "worked-example-gates")
