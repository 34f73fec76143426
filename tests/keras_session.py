"""What the Keras parity tests share: TensorFlow, required in CI; optimizer constants as
Keras reads them; Keras's float type set for a block of code; the relative error every
parity bound is stated in."""

import contextlib
import os

import numpy as np
import pytest

if os.environ.get("CI"):
    # In CI the Keras reference must be tested: a missing TensorFlow is a failure there.
    import tensorflow as tf
else:
    tf = pytest.importorskip("tensorflow")

import keras

# Keras 3 reads some optimizer constants through ``ops.cast(python_float, float64)``,
# and TensorFlow makes a float32 tensor of a Python float before casting it: 0.9 becomes
# 0.8999999761581421. Constants already representable in float32 pass through unchanged.
BETA_1, BETA_2, MOMENTUM = (float(np.float32(c)) for c in (0.9, 0.999, 0.9))


def relative(a, b) -> float:
    """max |a - b| / max |b|, in float64."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@contextlib.contextmanager
def keras_float(dtype: str):
    """Keras's float type set to ``dtype`` inside, the caller's restored after. Both
    settings are needed: layers take the global dtype policy, which Keras fixes from
    ``floatx()`` once, when the first layer of the process is made."""
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


__all__ = ["BETA_1", "BETA_2", "MOMENTUM", "keras", "keras_float", "relative", "tf"]
