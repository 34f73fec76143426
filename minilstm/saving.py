"""The model file: one ``.npz`` archive that is safe to hand out (docs/robustness.md).

Its members, each a little-endian ``.npy`` array in C order, none of them a Python
object:

    metadata                   a 0-d unicode array: JSON text with the format name and
                               version, the model's settings (units, input_dim,
                               output_dim, dtype, seed, cell unless it is "lstm",
                               attention unless it is None),
                               completed_epochs, and the optimizer's class name,
                               config and iterations, or null
    weights/0 ... weights/7    the weights, in ``Seq2Seq.get_weights()`` order (up to
                               weights/8 with attention)
    optimizer/<k>/<slot>       the optimizer's slots of weight k, e.g. optimizer/0/m

``save_model`` writes to a temporary file in the target's folder and renames it over the
target only when it is complete, so an interrupted save leaves the previous file intact.

``load_model`` believes no size a file states until the file's own settings back it. It
reads the metadata (at most ``MAX_METADATA_CHARS`` characters), derives from the
settings every member the file must have with its exact shape and dtype, compares each
member's ``.npy`` header and stored sizes with that, and only then reads the data with
NumPy's own ``.npy`` reader (``allow_pickle=False``), which allocates what the checked
header says. A member of terabytes, a deflate bomb or settings larger than
the file can hold are refused with a ``ValueError`` naming the file and the member,
before anything that large is allocated.

This module knows the format, not the model: ``Seq2Seq.save`` hands it a ``ModelFile``;
``Seq2Seq.load`` hands it ``Seq2Seq.weight_shapes``, which says what weights a model of
the file's settings has, and builds the model from the ``ModelFile`` it gets back.
"""

import errno
import json
import math
import os
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

import numpy as np

from minilstm import optimizers
from minilstm.validation import check_int, check_seed, show

WeightShapes = Callable[[int, int, int, str, str | None], list[tuple[int, ...]]]

FORMAT = "minilstm.Seq2Seq"
FORMAT_VERSION = 1
MAX_METADATA_CHARS = 16_384  # a model writes about 400
MAX_HEADER_BYTES = (
    4_096  # magic, length and header text; numpy writes 128 for these arrays
)
# metadata, 9 weights at most (additive attention), at most 3 slots each (RMSprop's)
MAX_MEMBERS = 1 + 9 + 9 * 3
MAX_DIRECTORY_ENTRY = 256  # 46 fixed bytes, a name of at most 32, a zip64 extra of 28
DEFLATE_MAX_RATIO = 1032  # no deflate stream inflates more than 1032-fold
END = struct.Struct("<4s4H2LH")  # the zip end record; zip64's record and locator follow
END64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR64 = struct.Struct("<4sLQL")
# What reading a damaged archive raises: zipfile reports some damaged headers as
# unsupported features (NotImplementedError) or encryption (RuntimeError), numpy a
# damaged .npy header as ValueError; a metadata text nested too deep is a RecursionError
# (a RuntimeError); a key or value of the wrong kind in it a KeyError or TypeError.
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    RuntimeError,
    NotImplementedError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,
)


class ModelFile(NamedTuple):
    """What a model file holds, as plain data.

    Attributes:
        config: the model's settings: units, input_dim, output_dim, dtype (a name),
            seed; and cell, "gru" or "rnn", for a model that is not an LSTM.
        weights: the 8 weights, shaped as ``Seq2Seq.weight_shapes`` says.
        completed_epochs: the epochs trained so far.
        optimizer: the optimizer with its settings and state, or None.
    """

    config: dict
    weights: list[np.ndarray]
    completed_epochs: int
    optimizer: optimizers.Optimizer | None


def check_path(path: object) -> str:
    """``path`` as a ``str``: a string or a path-like object (``pathlib.Path``)."""
    if not isinstance(path, str | os.PathLike) or isinstance(os.fspath(path), bytes):
        raise TypeError(f"path must be a str or a pathlib.Path; got {show(path)}")
    return os.fspath(path)


def save_model(path: str | os.PathLike, contents: ModelFile) -> None:
    """Write ``contents`` to ``path`` atomically (see the top of the module).

    Args:
        path: the file to write (usually ending in ``.npz``).
        contents: the settings, weights, completed epochs and optimizer (or None) to
            store.

    Raises:
        ValueError: the optimizer's learning rate is a schedule (a function cannot be
            stored without pickling); save without the optimizer.
        OSError: the folder cannot be written (the message names it).
    """
    path = check_path(path)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": contents.config,
        "completed_epochs": contents.completed_epochs,
        "optimizer": None,
    }
    arrays = {f"weights/{k}": w for k, w in enumerate(contents.weights)}
    optimizer = contents.optimizer
    if optimizer is not None:
        if callable(optimizer.learning_rate):
            raise ValueError(
                f"cannot save {path}: the optimizer's learning_rate is a schedule "
                "(a function), which a model file does not store; "
                "save with include_optimizer=False"
            )
        state = optimizer.get_state()
        metadata["optimizer"] = {
            "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(),
            "iterations": state["iterations"],
        }
        for k, slots in enumerate(state["slots"]):
            arrays.update({f"optimizer/{k}/{name}": s for name, s in slots.items()})
    # The byte order and memory order load_model accepts, whatever the machine's.
    arrays = {
        key: np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
        for key, a in arrays.items()
    }
    arrays["metadata"] = np.array(json.dumps(metadata), dtype="<U")
    _write_atomically(path, arrays)


def _write_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(
        folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp"
    )
    try:
        # os.open rather than tempfile: the file gets the usual permissions (umask),
        # not 0600.
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


def load_model(path: str | os.PathLike, weight_shapes: WeightShapes) -> ModelFile:
    """The contents of the model file at ``path``, each part checked (see the top).

    Args:
        path: the file ``save_model`` wrote.
        weight_shapes: the shapes of a model's weights from its settings (units,
            input_dim, output_dim, cell, attention): ``Seq2Seq.weight_shapes``. It
            raises ``ValueError`` for a cell or an attention it does not know.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a minilstm model file, is damaged, comes from a
            newer minilstm, or claims more than its settings imply; the message names
            the file and, where one is to blame, the member.
    """
    path = check_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, "no model file", path)
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        try:
            try:
                count = _member_count(file, size)
                archive = zipfile.ZipFile(file)
            except READ_ERRORS as error:
                raise ValueError(
                    f"not a readable minilstm model file (.npz archive): {error}"
                ) from None
            with archive:
                return _read(archive, count, size, weight_shapes)
        except READ_ERRORS as error:
            problem = (
                f"missing entry {error}" if isinstance(error, KeyError) else str(error)
            )
            raise ValueError(f"cannot load {path}: {problem}") from None


def _member_count(file: BinaryIO, size: int) -> int:
    # zipfile believes the end record's directory size and reads that many bytes into
    # ZipInfo objects, so the record is checked first. np.savez writes no archive
    # comment: the record is the last 22 bytes, preceded, in zip64, by the locator and
    # zip64's record (where zipfile looks for them).
    if size < END.size:
        raise ValueError(f"it is {size} bytes long, shorter than a zip end record")
    file.seek(size - END.size)
    signature, _, _, _, count, directory, _, _ = END.unpack(file.read(END.size))
    if signature != b"PK\x05\x06":
        raise ValueError("it does not end with a zip end record (is it truncated?)")
    if size >= END.size + LOCATOR64.size + END64.size:
        file.seek(size - END.size - LOCATOR64.size - END64.size)
        record = END64.unpack(file.read(END64.size))
        if LOCATOR64.unpack(file.read(LOCATOR64.size))[0] == b"PK\x06\x07":
            if record[0] != b"PK\x06\x06":
                raise ValueError(
                    "its zip64 end record is not where zip64's locator says"
                )
            count, directory = record[7], record[8]
    if count > MAX_MEMBERS or directory > count * MAX_DIRECTORY_ENTRY:
        raise ValueError(
            f"its end record claims {count} members in {directory} bytes; a model file "
            f"has at most {MAX_MEMBERS} members of at most {MAX_DIRECTORY_ENTRY} bytes "
            "each"
        )
    return count


def _read(
    archive: zipfile.ZipFile, count: int, size: int, weight_shapes: WeightShapes
) -> ModelFile:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        if name == info.filename:
            raise ValueError(
                f"member {info.filename} is unexpected (not an .npy array)"
            )
        if name in members:
            raise ValueError(f"member {name} appears twice")
        members[name] = info
    if len(members) != count:
        raise ValueError(
            f"its end record claims {count} members; it holds {len(members)}"
        )
    if sum(info.compress_size for info in members.values()) > size:
        raise ValueError(f"its members claim more bytes than the file's {size}")
    if "metadata" not in members:
        raise ValueError("not a minilstm model file (it has no minilstm metadata)")
    metadata = _read_metadata(archive, members.pop("metadata"))
    config, completed_epochs, optimizer, expected = _contents(metadata, weight_shapes)
    weight_count = sum(name.startswith("weights/") for name in expected)
    dtype = np.dtype(config["dtype"]).newbyteorder("<")
    unexpected, missing = (
        sorted(set(members) - set(expected)),
        sorted(set(expected) - set(members)),
    )
    if unexpected or missing:
        name = (unexpected or missing)[0]
        raise ValueError(
            f"member {name} is {'unexpected' if unexpected else 'missing'}"
        )
    needed = sum(math.prod(shape) for shape in expected.values()) * dtype.itemsize
    if needed > DEFLATE_MAX_RATIO * size:
        raise ValueError(
            f"its settings (units={config['units']}, input_dim={config['input_dim']}, "
            f"output_dim={config['output_dim']}) imply {needed} bytes of arrays, more "
            f"than a file of {size} bytes can hold"
        )
    # Every header is checked before any data is read.
    for name, shape in expected.items():
        _check_header(archive, members[name], f"member {name}", shape, dtype)
    arrays = {}
    for name in expected:
        arrays[name] = _read_array(archive, members[name])
        if not np.isfinite(arrays[name]).all():
            raise ValueError(f"member {name} holds NaN or infinite values")
    if optimizer is not None:
        slots = [
            {s: arrays[f"optimizer/{k}/{s}"] for s in optimizer.slot_names}
            for k in range(weight_count)
        ]
        if not any(name.startswith("optimizer/") for name in arrays):
            slots = []  # no step taken yet, or an optimizer without slots
        optimizer.set_state({"iterations": optimizer.iterations, "slots": slots})
    weights = [arrays[f"weights/{k}"] for k in range(weight_count)]
    return ModelFile(config, weights, completed_epochs, optimizer)


def _read_metadata(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict:
    longest = np.dtype(f"<U{MAX_METADATA_CHARS}")
    _check_header(archive, info, "member metadata", (), longest)
    text = str(_read_array(archive, info))
    try:
        metadata = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"its metadata is damaged ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(
            "not a minilstm model file (its metadata names no minilstm format)"
        )
    version = metadata.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"its format version {version!r} is not valid")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"it was written by a newer minilstm (file format version {version}; this "
            f"minilstm reads version {FORMAT_VERSION}); upgrade minilstm to load it"
        )
    return metadata


def _contents(
    metadata: dict, weight_shapes: WeightShapes
) -> tuple[dict, int, optimizers.Optimizer | None, dict[str, tuple[int, ...]]]:
    # The settings, checked, and from them the shape of every member but the metadata.
    config = metadata["config"]
    keys = {"units", "input_dim", "output_dim", "dtype", "seed"}
    # A file without "cell" is an LSTM's, as every file before the GRU and the RNN;
    # one without "attention" a model without attention, as every file before it.
    if not isinstance(config, dict) or not (
        keys <= set(config) <= keys | {"cell", "attention"}
    ):
        raise ValueError(
            f"its config {show(config)} is not a minilstm model's settings"
        )
    sizes = [
        check_int(config[key], key) for key in ("units", "input_dim", "output_dim")
    ]
    if config["dtype"] not in ("float32", "float64"):
        raise ValueError(
            f"dtype must be float32 or float64; got {show(config['dtype'])}"
        )
    check_seed(config["seed"])
    completed_epochs = check_int(metadata["completed_epochs"], "completed_epochs", 0)
    shapes = weight_shapes(*sizes, config.get("cell", "lstm"), config.get("attention"))
    expected = {f"weights/{k}": shape for k, shape in enumerate(shapes)}
    stored = metadata["optimizer"]
    if stored is None:
        return config, completed_epochs, None, expected
    # Only minilstm's own optimizer classes: a file never chooses what code runs.
    name = stored["class_name"]
    cls = optimizers.OPTIMIZERS.get(name.lower()) if isinstance(name, str) else None
    if cls is None or cls.__name__ != name:
        known = sorted(c.__name__ for c in optimizers.OPTIMIZERS.values())
        raise ValueError(f"unknown optimizer {show(name)}; expected one of {known}")
    if not isinstance(stored["config"], dict):
        raise TypeError(
            f"the optimizer's config must be a dict; got {show(stored['config'])}"
        )
    optimizer = cls.from_config(stored["config"])
    optimizer.iterations = check_int(stored["iterations"], "iterations", 0)
    # Slots exist once a step has been taken (Optimizer._apply makes them).
    if optimizer.iterations > 0:
        for k, shape in enumerate(shapes):
            expected.update({f"optimizer/{k}/{s}": shape for s in optimizer.slot_names})
    return config, completed_epochs, optimizer, expected


def _header(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    # The .npy header (shape, fortran_order, dtype) and where the data starts, read as
    # NumPy reads it, but with a format version it writes.
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            header = np.lib.format.read_array_header_1_0(member, MAX_HEADER_BYTES)
        elif version == (2, 0):
            header = np.lib.format.read_array_header_2_0(member, MAX_HEADER_BYTES)
        else:
            raise ValueError(
                f".npy format version {version} is not one np.savez writes"
            )
        return (*header, member.tell())


def _check_header(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    shape: tuple[int, ...],
    dtype: np.dtype,
) -> None:
    # Refuse a member unless its stored sizes and header fit the shape and dtype (for
    # the metadata: any text up to dtype's length). The sizes are checked before the
    # member is opened: zipfile reads what file_size says, at most.
    limit = MAX_HEADER_BYTES + math.prod(shape) * dtype.itemsize
    if info.compress_type == zipfile.ZIP_STORED:
        packed = info.compress_size == info.file_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        # Between what deflate can inflate to and zlib's compressBound
        # (no deflated form of n bytes is longer), so that no compressed data hides
        # behind the claimed size.
        n = info.file_size
        longest = n + (n >> 12) + (n >> 14) + (n >> 25) + 13
        packed = (
            n <= DEFLATE_MAX_RATIO * info.compress_size
            and info.compress_size <= longest
        )
    else:
        raise ValueError(
            f"{name} is compressed with method {info.compress_type}, not deflate"
        )
    if info.file_size > limit or not packed:
        raise ValueError(
            f"{name} claims {info.file_size} bytes ({info.compress_size} stored); its "
            f"shape {shape} in {dtype.name} needs at most {limit}"
        )
    try:
        got_shape, fortran_order, got_dtype, start = _header(archive, info)
    except READ_ERRORS as error:
        raise ValueError(f"{name}: {error}") from None
    fits = got_dtype == dtype and got_dtype.str == dtype.str
    if (
        shape == () and got_dtype.kind == "U"
    ):  # the metadata: a text of any length up to dtype's
        fits = got_dtype.str[:2] == "<U" and got_dtype.itemsize <= dtype.itemsize
    if not fits or got_shape != shape or fortran_order:
        raise ValueError(
            f"{name} must have shape {shape}, dtype {dtype.str} and C order, as the "
            f"settings imply; its header says shape {got_shape}, dtype "
            f"{got_dtype.str}{' and Fortran order' if fortran_order else ''}"
        )
    if info.file_size != start + math.prod(shape) * got_dtype.itemsize:
        raise ValueError(
            f"{name} holds {info.file_size - start} bytes of data; its header "
            f"describes {math.prod(shape) * got_dtype.itemsize}"
        )


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    # A member whose header _check_header accepted, read by NumPy's own .npy reader
    # (what np.load does for each member of an .npz), which allocates what the header
    # says: no more than the settings imply.
    try:
        with archive.open(info) as member:
            return np.lib.format.read_array(
                member, allow_pickle=False, max_header_size=MAX_HEADER_BYTES
            )
    except READ_ERRORS as error:
        raise ValueError(
            f"member {info.filename.removesuffix('.npy')}: {error}"
        ) from None
