"""The article's encoder-decoder in Keras 3 (TensorFlow backend), corrected.

It stands beside minilstm so that tests can check, number by number, that both compute
the same outputs, gradients and training runs. Importing it imports TensorFlow; minilstm
itself never does. Install with ``pip install -e ".[keras]"``.
"""

from reference_keras.model import (
    build_inference_models,
    build_training_model,
    decode,
    keras_settings,
    weights_from_keras,
    weights_to_keras,
)

__all__ = [
    "build_inference_models",
    "build_training_model",
    "decode",
    "keras_settings",
    "weights_from_keras",
    "weights_to_keras",
]
