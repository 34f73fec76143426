"""``python -m minilstm.demo``: train the article's sin -> cos encoder-decoder and decode."""

import time

import numpy as np

from minilstm import Adam, Seq2Seq
from minilstm.data import load_task


def main() -> None:
    data = load_task("sin_cos")
    model = Seq2Seq(units=75, seed=0)
    start = time.perf_counter()
    history = model.fit(
        data.enc_x, data.dec_x, data.dec_y, epochs=35, batch_size=10, optimizer=Adam()
    )
    seconds = time.perf_counter() - start
    y = model.predict(data.enc_x)
    mse = float(np.mean((y - data.dec_y) ** 2))
    print(
        f"trained in {seconds:.1f}s: final loss {history.history['loss'][-1]:.2e}, "
        f"autoregressive MSE {mse:.2e}"
    )


if __name__ == "__main__":
    main()
