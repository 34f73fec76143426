"""The model file: one ``.npz`` archive that is safe to hand out (docs/robustness.md).

Its arrays, none of them a Python object (so it loads with ``allow_pickle=False``):

    metadata                   JSON text: format name and version, the model's settings
                               (units, input_dim, output_dim, dtype, seed), completed_epochs,
                               and the optimizer's class name, config and iterations, or null
    weights/0 ... weights/7    the weights, in ``Seq2Seq.get_weights()`` order
    optimizer/<k>/<slot>       the optimizer's slots of weight k, e.g. optimizer/0/m

``save_model`` writes to a temporary file in the target's folder and renames it over the
target only when it is complete, so an interrupted save leaves the previous file intact.
``load_model`` checks every part and says which file is wrong and how.
"""

import errno
import json
import os
import uuid
import zipfile
from typing import TYPE_CHECKING

import numpy as np

from minilstm import optimizers
from minilstm.validation import check_array, check_int, show

if TYPE_CHECKING:
    from minilstm.seq2seq import Seq2Seq

FORMAT = "minilstm.Seq2Seq"
FORMAT_VERSION = 1
OPTIMIZERS = {cls.__name__: cls for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adam)}


def save_model(model: "Seq2Seq", path: str | os.PathLike, include_optimizer: bool = True) -> None:
    """Write ``model`` to ``path`` atomically (see the top of the module).

    Raises:
        ValueError: the optimizer's learning rate is a schedule (a function cannot be
            stored without pickling); save with ``include_optimizer=False``.
        OSError: the folder cannot be written (the message names it).
    """
    path = check_path(path)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": {
            "units": model.units,
            "input_dim": model.input_dim,
            "output_dim": model.output_dim,
            "dtype": model.dtype.name,
            "seed": model.seed,
        },
        "completed_epochs": model.completed_epochs,
        "optimizer": None,
    }
    arrays = {f"weights/{k}": w for k, w in enumerate(model.trainable_weights)}
    optimizer = model.optimizer if include_optimizer else None
    if optimizer is not None:
        if callable(optimizer.learning_rate):
            raise ValueError(
                f"cannot save {path}: the optimizer's learning_rate is a schedule (a function), "
                "which a model file does not store; save with include_optimizer=False"
            )
        state = optimizer.get_state()
        metadata["optimizer"] = {
            "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(),
            "iterations": state["iterations"],
        }
        for k, slots in enumerate(state["slots"]):
            arrays.update({f"optimizer/{k}/{name}": s for name, s in slots.items()})
    arrays["metadata"] = np.array(json.dumps(metadata))
    _write_atomically(path, arrays)


def check_path(path: object) -> str:
    """``path`` as a ``str``: a string or a path-like object (``pathlib.Path``)."""
    if not isinstance(path, str | os.PathLike) or isinstance(os.fspath(path), bytes):
        raise TypeError(f"path must be a str or a pathlib.Path; got {show(path)}")
    return os.fspath(path)


def _write_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        # os.open rather than tempfile: the file gets the usual permissions (umask), not 0600.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise OSError(
            error.errno, f"cannot write the model file {path}: {error.strerror}"
        ) from None
    try:
        with os.fdopen(descriptor, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load_model(cls: "type[Seq2Seq]", path: str | os.PathLike) -> "Seq2Seq":
    """The model stored at ``path``, as a ``cls`` (see ``Seq2Seq.load``)."""
    path = check_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, "no model file", path)
    arrays = _read_arrays(path)

    def fail(problem: str) -> ValueError:
        return ValueError(f"cannot load {path}: {problem}")

    if "metadata" not in arrays or arrays["metadata"].dtype.kind != "U":
        raise fail("not a minilstm model file (it has no minilstm metadata)")
    try:
        metadata = json.loads(str(arrays["metadata"]))
    except json.JSONDecodeError as error:
        raise fail(f"its metadata is damaged ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise fail("not a minilstm model file (its metadata names no minilstm format)")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise fail(f"its format version {version!r} is not valid")
    if version > FORMAT_VERSION:
        raise fail(
            f"it was written by a newer minilstm (file format version {version}; this minilstm "
            f"reads version {FORMAT_VERSION}); upgrade minilstm to load it"
        )
    try:
        model = cls(**metadata["config"])
        model.set_weights([arrays[f"weights/{k}"] for k in range(len(model.trainable_weights))])
        model.completed_epochs = check_int(metadata["completed_epochs"], "completed_epochs", 0)
        if metadata["optimizer"] is not None:
            model.optimizer = _load_optimizer(metadata["optimizer"], arrays, model)
    except (KeyError, TypeError, ValueError) as error:
        problem = f"missing entry {error}" if isinstance(error, KeyError) else str(error)
        raise fail(f"its contents do not make a valid model: {problem}") from None
    return model


def _read_arrays(path: str) -> dict[str, np.ndarray]:
    # Every array is read here, so that a damaged file fails now, with its name, rather
    # than later on first use.
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with archive:
            return {key: archive[key] for key in archive.files}
    # zipfile reports some damaged headers as unsupported features or encryption.
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        NotImplementedError,
        RuntimeError,
    ) as error:
        raise ValueError(
            f"cannot load {path}: not a readable minilstm model file (.npz archive): {error}"
        ) from None


def _load_optimizer(
    metadata: dict, arrays: dict[str, np.ndarray], model: "Seq2Seq"
) -> optimizers.Optimizer:
    # Only minilstm's own optimizer classes: a file never chooses what code runs.
    name = metadata["class_name"]
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(OPTIMIZERS)}")
    optimizer = OPTIMIZERS[name].from_config(metadata["config"])
    slots = []
    if metadata["iterations"] > 0 and optimizer.slot_names:
        for k, w in enumerate(model.trainable_weights):
            keys = {s: f"optimizer/{k}/{s}" for s in optimizer.slot_names}
            slots.append(
                {s: check_array(arrays[key], key, w.shape, w.dtype) for s, key in keys.items()}
            )
    optimizer.set_state({"iterations": metadata["iterations"], "slots": slots})
    return optimizer
