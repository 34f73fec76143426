"""NumPy and Keras side by side: the same model, weights, forward pass, gradients,
training and decoding in both, compared number by number (in float64)."""

import sys

from _site import record

try:
    import keras
    import tensorflow as tf

    import reference_keras as rk
except ImportError:
    print(
        "TensorFlow is not installed where this site was built: "
        "pip install -e '.[keras]'"
    )
    keys = (
        "forward",
        "grads",
        "fit",
        "exact",
        "decode",
        "epochs",
        "float32",
        "epoch_seconds",
        "keras_ratio",
        "cpu",
        "numpy_seconds",
        "keras_seconds",
    )
    record(**dict.fromkeys(keys, "(not measured)"))
    sys.exit(0)


# --8<-- [start:numpy_build]
import time

import numpy as np

import minilstm as ml
from minilstm import article
from minilstm.data import load_task

data = load_task("sin_cos")
enc_x, dec_x, dec_y = data.enc_x, data.dec_x, data.dec_y
model = ml.Seq2Seq(units=article.UNITS, input_dim=1, output_dim=1, seed=0)
# --8<-- [end:numpy_build]
# --8<-- [start:keras_build]
import keras
import tensorflow as tf

import reference_keras as rk

keras.config.set_floatx("float64")  # Keras builds in float32 unless told otherwise,
keras.config.set_dtype_policy("float64")  # and its layers follow this policy
keras_model = rk.build_training_model(
    units=article.UNITS, input_dim=1, output_dim=1, window=article.WINDOW
)
rk.weights_to_keras(model, keras_model)  # the same 8 arrays, copied unchanged
# --8<-- [end:keras_build]

# --8<-- [start:numpy_forward]
y = model.forward(enc_x, dec_x)  # (76, 24, 1)
# --8<-- [end:numpy_forward]
# --8<-- [start:keras_forward]
y_keras = keras_model([enc_x, dec_x], training=False)  # (76, 24, 1)
# --8<-- [end:keras_forward]

# --8<-- [start:numpy_grads]
loss, grads = model.loss_and_grads(enc_x, dec_x, dec_y)  # 8 arrays, get_weights() order
# --8<-- [end:numpy_grads]
# --8<-- [start:keras_grads]
with tf.GradientTape() as tape:
    keras_loss = keras.losses.MeanSquaredError()(dec_y, keras_model([enc_x, dec_x]))
keras_grads = tape.gradient(keras_loss, keras_model.trainable_weights)
# --8<-- [end:keras_grads]

# --8<-- [start:numpy_decode]
y_free = model.predict(enc_x)  # batched, each prediction fed back
# --8<-- [end:numpy_decode]
# --8<-- [start:keras_decode]
encoder_model, decoder_model = rk.build_inference_models(keras_model)
y_free_keras = rk.decode(encoder_model, decoder_model, enc_x)
# --8<-- [end:keras_decode]

# --8<-- [start:numpy_fit]
epochs = 5
start = time.process_time()  # processor time: see below
history = model.fit(
    enc_x,
    dec_x,
    dec_y,
    epochs=epochs,
    batch_size=article.BATCH_SIZE,
    optimizer=ml.Adam(),
    shuffle=False,
    verbose=0,
)
numpy_seconds = time.process_time() - start
# --8<-- [end:numpy_fit]
# --8<-- [start:keras_fit]
keras_model.compile(optimizer=keras.optimizers.Adam(), loss="mean_squared_error")
start = time.process_time()  # processor time: see below
keras_history = keras_model.fit(
    [enc_x, dec_x],
    dec_y,
    epochs=epochs,
    batch_size=article.BATCH_SIZE,
    shuffle=False,
    verbose=0,
)
keras_seconds = time.process_time() - start
# --8<-- [end:keras_fit]


# --8<-- [start:compare]
def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# The same run again with Adam's betas given as float32 numbers, which Keras's cast of
# its constants through float32 leaves unchanged.
# --8<-- [start:exact_betas]
beta_1, beta_2 = (
    float(np.float32(0.9)),
    float(np.float32(0.999)),
)  # 0.899999976..., 0.999000012...
# --8<-- [end:exact_betas]
model_exact = ml.Seq2Seq(units=article.UNITS, seed=0)
keras_exact = rk.build_training_model(units=article.UNITS, window=article.WINDOW)
rk.weights_to_keras(model_exact, keras_exact)
keras_exact.compile(
    optimizer=keras.optimizers.Adam(beta_1=beta_1, beta_2=beta_2),
    loss="mean_squared_error",
)
exact_adam = ml.Adam(beta_1=beta_1, beta_2=beta_2)
model_exact.fit(
    enc_x,
    dec_x,
    dec_y,
    epochs=epochs,
    batch_size=article.BATCH_SIZE,
    optimizer=exact_adam,
    shuffle=False,
    verbose=0,
)
keras_exact.fit(
    [enc_x, dec_x],
    dec_y,
    epochs=epochs,
    batch_size=article.BATCH_SIZE,
    shuffle=False,
    verbose=0,
)
exact_error = max(
    rel(a, b)
    for a, b in zip(model_exact.get_weights(), keras_exact.get_weights(), strict=True)
)

weight_pairs = zip(model.get_weights(), keras_model.get_weights(), strict=True)
grad_error = max(rel(g, k) for g, k in zip(grads, keras_grads, strict=True))
rows = [
    ("teacher-forced outputs", rel(y, y_keras)),
    ("loss", rel(loss, keras_loss)),
    ("gradients, worst of 8", grad_error),
    ("autoregressive decoding", rel(y_free, y_free_keras)),
    (
        f"loss history, {epochs} epochs",
        rel(history.history["loss"], keras_history.history["loss"]),
    ),
    ("weights after training", max(rel(a, b) for a, b in weight_pairs)),
    ("  the same, float32-exact betas", exact_error),
]
print(f"{'compared (float64, same weights)':34} largest relative difference")
for name, value in rows:
    print(f"{name:34} {value:.1e}")
# The same forward pass in float32, Keras's default.
keras.config.set_floatx("float32")
keras.config.set_dtype_policy("float32")
model32 = ml.Seq2Seq(units=article.UNITS, seed=0, dtype=np.float32)
keras32 = rk.build_training_model(units=article.UNITS)
rk.weights_to_keras(model32, keras32)
x32 = [a.astype(np.float32) for a in (enc_x, dec_x)]
float32_error = rel(model32.forward(*x32), keras32(x32, training=False))
print(f"{'teacher-forced outputs, float32':34} {float32_error:.1e}")
# --8<-- [end:compare]

# Processor time, summed over threads: the build runs another script beside this one,
# which would lengthen wall-clock times, and TensorFlow spreads its work over threads.
from _site import cpu_label

record(
    cpu=cpu_label(),
    numpy_seconds=f"{numpy_seconds:.1f}",
    keras_seconds=f"{keras_seconds:.1f}",
    forward=f"{rows[0][1]:.0e}",
    grads=f"{grad_error:.0e}",
    decode=f"{rows[3][1]:.0e}",
    fit=f"{rows[5][1]:.0e}",
    exact=f"{exact_error:.0e}",
    epochs=epochs,
    float32=f"{float32_error:.0e}",
    epoch_seconds=f"{numpy_seconds / epochs:.2f}",
    keras_ratio=f"{keras_seconds / numpy_seconds:.1f}",
)
