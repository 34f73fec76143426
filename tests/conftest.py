"""Shared fixtures: seeded generators and weights large enough to saturate some gates."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def lstm_weights(rng: np.random.Generator, D: int, H: int, scale: float = 1.0):
    """Random kernel (D, 4H), recurrent_kernel (H, 4H) and a non-zero bias (4H,).

    Scale 1 with unit-normal inputs puts some pre-activations beyond |z| = 3, where the
    gates saturate; zero biases and tiny weights would hide gate mix-ups.
    """
    kernel = rng.normal(scale=scale, size=(D, 4 * H))
    recurrent_kernel = rng.normal(scale=scale, size=(H, 4 * H))
    bias = rng.normal(scale=scale, size=4 * H)
    return kernel, recurrent_kernel, bias
