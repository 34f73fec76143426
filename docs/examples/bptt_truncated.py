"""Truncated BPTT with the pure functions of minilstm.lstm: a long sequence cut into
chunks, the states carried from chunk to chunk, the gradient cut at each chunk's
start."""

from _site import printed, record

with printed("bptt_truncated-gradient"):
    # --8<-- [start:gradient]
    import numpy as np

    from minilstm.dense import Dense, dense_backward, dense_forward
    from minilstm.layers import LSTM
    from minilstm.losses import mse_backward, mse_forward
    from minilstm.lstm import lstm_backward, lstm_forward

    # One long sequence (N = 1, T = 400): read a wave, predict its next value.
    T, K, H = 400, 25, 16  # K: steps per chunk
    wave = np.sin(0.1 * np.arange(T + 1))
    x, y = wave[:-1].reshape(1, T, 1), wave[1:].reshape(1, T, 1)
    lstm, dense = LSTM(H, seed=0), Dense(1, seed=1)
    lstm.build(1)
    dense.build(H)
    weights = [lstm.kernel, lstm.recurrent_kernel, lstm.bias, dense.kernel, dense.bias]
    names = ["kernel", "recurrent_kernel", "bias", "dense kernel", "dense bias"]

    def chunk_grads(x, y, h0, c0, weights):
        """The loss of one chunk (N, K, 1), its gradients and its final (h, c), from
        initial states h0, c0 (N, H) that the backward treats as constants."""
        W, U, b, V, d = weights
        (hs, c), cache = lstm_forward(x, h0, c0, W, U, b)
        y_hat, dense_cache = dense_forward(hs, V, d)
        loss, loss_cache = mse_forward(y_hat, y)
        dhs, dV, dd = dense_backward(mse_backward(1.0, loss_cache), dense_cache)
        # The final states go on to the next chunk, but no gradient comes back from
        # it: zeros at the end. dh0 and dc0, the gradient on the states the chunk
        # started from, are dropped: that is the cut.
        zeros = np.zeros_like(h0)
        _, _, _, dW, dU, db = lstm_backward(dhs, zeros, zeros, cache)
        return loss, [dW, dU, db, dV, dd], (hs[:, -1], c)

    zeros = np.zeros((1, H))
    _, full, _ = chunk_grads(x, y, zeros, zeros, weights)  # BPTT over all 400 steps
    truncated = [np.zeros_like(w) for w in weights]
    h, c = zeros, zeros
    for start in range(0, T, K):
        _, grads, (h, c) = chunk_grads(
            x[:, start : start + K], y[:, start : start + K], h, c, weights
        )
        for total, g in zip(truncated, grads, strict=True):
            total += g * K / T  # each chunk's loss is a mean over K of the T steps
    print(f"full BPTT against chunks of {K}, same weights: relative difference")
    for name, a, b in zip(names, full, truncated, strict=True):
        print(f"  {name:17} {np.linalg.norm(a - b) / np.linalg.norm(a):.1e}")
    # --8<-- [end:gradient]

with printed("bptt_truncated-train"):
    # --8<-- [start:train]
    from minilstm.optimizers import Adam

    optimizer = Adam(learning_rate=3e-3)
    for epoch in range(1, 31):
        h, c = zeros, zeros  # the sequence starts afresh
        losses = []
        for start in range(0, T, K):
            loss, grads, (h, c) = chunk_grads(
                x[:, start : start + K], y[:, start : start + K], h, c, weights
            )
            optimizer.apply(grads, weights)  # one step per chunk, in place
            losses.append(loss)
        if epoch % 10 == 0:
            print(f"pass {epoch}: mean loss of the chunks {np.mean(losses):.1e}")
    # --8<-- [end:train]

differences = {
    name: float(np.linalg.norm(a - b) / np.linalg.norm(a))
    for name, a, b in zip(names, full, truncated, strict=True)
}
record(
    chunks=T // K,
    recurrent_difference=f"{differences['recurrent_kernel']:.1e}",
)
