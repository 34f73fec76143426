"""The processes the sides run in: one per side, as a user would run each library, so
that TensorFlow's and PyTorch's thread pools, once loaded, do not compete with NumPy's
BLAS threads."""

import multiprocessing
import os
from collections.abc import Sequence
from typing import Any

from minilstm.bench.peers import KerasSide, TorchSide
from minilstm.bench.sides import MinilstmSide

_SIDE: MinilstmSide | KerasSide | TorchSide | None = None  # in a worker: its side


def in_worker(side: str, threads: int | None, method: str, *args: Any) -> Any:
    """Run in a worker: call ``method`` of the worker's side, made on first use.

    Args:
        side: "Keras", "PyTorch", or either of minilstm's (any other name).
        threads: the bench's ``--threads``, which PyTorch takes as a call; the
            other sides read it from the environment when their libraries load.
        method: the side's method to call.
        *args: its arguments.

    Returns:
        What the method returns.
    """
    global _SIDE
    if _SIDE is None:
        if side == "PyTorch":
            _SIDE = TorchSide(threads)
        else:
            _SIDE = KerasSide() if side == "Keras" else MinilstmSide()
    return getattr(_SIDE, method)(*args)


class Worker:
    """A process running one side; its calls block until they return."""

    def __init__(
        self, side: str, threads: int | None = None, unset: Sequence[str] = ()
    ) -> None:
        self.side, self.threads = side, threads
        # The worker starts with this process's environment, less ``unset``.
        saved = {name: os.environ.pop(name) for name in unset if name in os.environ}
        try:
            self.pool = multiprocessing.get_context("spawn").Pool(1)
        finally:
            os.environ.update(saved)

    def __call__(self, method: str, *args: Any) -> Any:
        return self.pool.apply(in_worker, (self.side, self.threads, method, *args))

    def close(self) -> None:
        self.pool.terminate()
