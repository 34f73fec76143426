"""The LSTM cell page: the weights of a layer, their blocks, and the two activations."""

from _site import printed

with printed("lstm_cell-one_step"):
    # --8<-- [start:one_step]
    import numpy as np

    import minilstm as ml
    from minilstm import article

    H, D = article.UNITS, 1  # 75 units, 1 input feature
    x = np.random.default_rng(1).normal(size=(3, 5, D))  # N=3 sequences of T=5 steps
    y, h, c = ml.LSTM(H, return_state=True, seed=0).forward(x)
    print("y", y.shape, "h", h.shape, "c", c.shape, "y is h:", np.array_equal(y, h))
    # --8<-- [end:one_step]

with printed("lstm_cell-weights"):
    # --8<-- [start:weights]
    layer = ml.LSTM(H, seed=0)
    layer.build(D)
    kernel, recurrent_kernel, bias = layer.get_weights()
    print("kernel          ", kernel.shape)
    print("recurrent_kernel", recurrent_kernel.shape)
    print("bias            ", bias.shape)
    print("parameters      ", sum(w.size for w in layer.get_weights()))

    # The four gate blocks, in Keras's order i, f, c (called g here), o:
    for k, gate in enumerate("ifgo"):
        block = bias[k * H : (k + 1) * H]
        same = np.all(block == block[0])
        print(f"bias of {gate}: all {block[0]:.0f}" if same else block)

    # Orthogonal: the rows of the (H, 4H) recurrent kernel are orthonormal.
    print("U U^T == I:", np.allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(H)))
    print(
        f"Glorot limit sqrt(6 / (D + 4H)) = {np.sqrt(6 / (D + 4 * H)):.4f},"
        f" largest |kernel| = {np.abs(kernel).max():.4f}"
    )
    # --8<-- [end:weights]


from _site import panels, record, save_figure

from minilstm.activations import sigmoid, sigmoid_grad, tanh, tanh_grad

record(
    params=f"{sum(w.size for w in layer.get_weights()):,}",
    glorot=f"{np.sqrt(6 / (D + 4 * H)):.3f}",
    forget=f"{sigmoid(np.array(1.0)):.3f}",
)

z = np.linspace(-6, 6, 400)
fig, axes = panels(2, height=2.7, sharex=True)
for ax, f, df, name, value_range in (
    (axes[0], sigmoid, sigmoid_grad, r"\sigma", "(0, 1): a gate"),
    (axes[1], tanh, tanh_grad, r"\tanh", "(-1, 1): a value"),
):
    out = f(z)
    ax.plot(z, out, label=f"${name}(z)$")
    ax.plot(z, df(out), "--", label=f"${name}'(z)$, from the output")
    ax.set_title(f"${name}$, range {value_range}")
    ax.legend(loc="upper left")
axes[-1].set_xlabel("z")
save_figure(fig, "lstm-activations")
