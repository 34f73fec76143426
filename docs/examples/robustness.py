"""Errors and model files: what minilstm says on bad input, on divergence, and on a bad
file."""

# --8<-- [start:bad_input]
import numpy as np

import minilstm as ml
from minilstm.data import load_task

data = load_task("sin_cos")
model = ml.Seq2Seq(units=8, seed=0)
bad_calls = {
    "2-D input": lambda: model.predict(data.enc_x[..., 0]),
    "batch sizes differ": lambda: model.fit(
        data.enc_x, data.dec_x[:50], data.dec_y, verbose=0
    ),
    "a NaN in the data": lambda: model.evaluate(
        data.enc_x * np.nan, data.dec_x, data.dec_y
    ),
    "no epochs": lambda: model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=-1),
    "zero units": lambda: ml.Seq2Seq(units=0),
    "bad learning rate": lambda: ml.Adam(learning_rate=float("inf")),
}
for what, call in bad_calls.items():
    try:
        call()
    except (TypeError, ValueError) as error:
        print(f"{what:20} {type(error).__name__}: {error}")
# --8<-- [end:bad_input]

# --8<-- [start:divergence]
model = ml.Seq2Seq(units=8, seed=0)
try:
    model.fit(
        data.enc_x,
        data.dec_x,
        data.dec_y,
        epochs=5,
        batch_size=10,
        optimizer=ml.SGD(learning_rate=1e6),
        verbose=0,
    )
except ml.TrainingDivergedError as error:
    print(error)
print("weights still finite:", all(np.isfinite(w).all() for w in model.get_weights()))

# A second input feature that is always 0, and Adam without its epsilon.
enc_x = np.concatenate([data.enc_x, np.zeros_like(data.enc_x)], axis=2)
model = ml.Seq2Seq(units=8, input_dim=2, seed=0)
try:
    model.fit(enc_x, data.dec_x, data.dec_y, optimizer=ml.Adam(epsilon=0.0), verbose=0)
except ml.TrainingDivergedError as error:
    print(error)
# --8<-- [end:divergence]

# --8<-- [start:other_model]
optimizer = ml.Adam()
lstm = ml.Seq2Seq(units=8, seed=0)
lstm.fit(data.enc_x, data.dec_x, data.dec_y, optimizer=optimizer, verbose=0)
gru = ml.Seq2Seq(units=8, seed=0, cell="gru")
try:
    gru.fit(data.enc_x, data.dec_x, data.dec_y, optimizer=optimizer, verbose=0)
except ValueError as error:
    print(f"ValueError: {error}")
# --8<-- [end:other_model]

# --8<-- [start:files]
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "sin_cos.npz"
    model = ml.Seq2Seq(units=8, seed=0)
    model.fit(data.enc_x, data.dec_x, data.dec_y, epochs=2, batch_size=10, verbose=0)
    model.save(path)
    same = ml.Seq2Seq.load(path)
    pairs = zip(model.get_weights(), same.get_weights(), strict=True)
    print("round trip exact:", all(np.array_equal(a, b) for a, b in pairs))
    path.write_bytes(
        path.read_bytes()[:500]
    )  # a truncated copy, as a failed download leaves
    try:
        ml.Seq2Seq.load(path)
    except ValueError as error:
        print(f"ValueError: {error}".replace(folder, "..."))
# --8<-- [end:files]
