"""Training page: the same seed gives the same run, bit for bit."""

# --8<-- [start:same_seed]
import numpy as np

import minilstm as ml
from minilstm.data import load_task

data = load_task("sin_cos")
runs = []
for seed in (0, 0, 1):
    model = ml.Seq2Seq(units=8, seed=seed)
    model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=3, batch_size=10, verbose=0)
    runs.append(model.get_weights())
same = all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))
print("seed 0 twice, bit for bit the same weights:", same)
print(
    "seed 0 and seed 1, the same weights:",
    all(np.array_equal(a, b) for a, b in zip(runs[0], runs[2], strict=True)),
)
# --8<-- [end:same_seed]
