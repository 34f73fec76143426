"""The pipes between the grader and a part's process, from the grader's side.

The child (``child.py``) and the grader exchange messages as ``child.send`` writes them:
the length of a JSON header, the header (with each array's name, dtype and shape), then
the arrays' raw bytes. Everything the child sends is the student's to shape, so each
message is checked against the limits below before any of it is kept, and every read
and write waits for the pipe with a timeout: the grader's thread never blocks for good.
"""

import io
import json
import math
import os
import select
import threading
from collections.abc import Callable

import numpy as np

from minilstm.assignment.child import LENGTH, send

# What the grader takes from a child: results are a few kilobytes, a stand-in's
# arguments (a step of the LSTM) little more.
MAX_HEADER = 1 << 20  # bytes of one message's JSON
MAX_NESTING = 64  # levels of JSON in one message
MAX_TOTAL = 256 << 20  # bytes of arrays in all the messages of a part
MAX_CALLS = 100_000  # calls of the other parts' stand-ins in one part

# What answers a stand-in's call: (header, arrays) -> (answer, arrays).
Serve = Callable[[dict, dict], tuple[dict, dict]]


class Overflow(Exception):
    """A message from the child over its limits or not of the protocol's form."""


class Conversation:
    """The grader's side of the pipes to one child: it sends the plan, answers the
    stand-ins' calls with ``serve`` and keeps the results, all in a thread that never
    blocks for good (every read and write waits for the pipe with a timeout, and
    stops when ``close`` is called) and never holds more than ``MAX_TOTAL`` bytes.
    """

    def __init__(self, stdin: int, replies: int, plan: bytes, serve: Serve) -> None:
        self.stdin, self.replies, self.serve = stdin, replies, serve
        for fd in (stdin, replies):
            os.set_blocking(fd, False)
        self.records: dict[str, tuple[dict, dict]] = {}
        self.problem: str | None = None  # why the grader stopped listening, if it did
        self.left, self.calls = MAX_TOTAL, 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.talk, args=(plan,), daemon=True)
        self.thread.start()

    def close(self) -> dict[str, tuple[dict, dict]]:
        """Stop listening; the results received so far (no later one is kept)."""
        # What the child sent before it ended is still in the pipe: read it to the
        # end, unless a process it left behind holds the pipe open.
        self.thread.join(timeout=2)
        self.stopped.set()
        self.thread.join(timeout=2)
        return dict(self.records)

    def talk(self, plan: bytes) -> None:
        try:
            self.write(plan)
            while (message := self.read_message()) is not None:
                header, arrays = message
                if header.get("kind") == "call":
                    self.calls += 1
                    if self.calls > MAX_CALLS:
                        raise Overflow(f"over {MAX_CALLS} calls to other parts")
                    answer, answer_arrays = self.serve(header, arrays)
                    self.write(message_bytes(answer, answer_arrays))
                elif header.get("kind") == "result" and isinstance(
                    header.get("key"), str
                ):
                    record = header.get("record")
                    if self.stopped.is_set() or not isinstance(record, dict):
                        break
                    self.records.setdefault(header["key"][:20], (record, arrays))
                else:
                    raise Overflow("a message that is neither a result nor a call")
        except Overflow as exc:
            self.problem = str(exc)
        except (OSError, EOFError):
            pass  # the child is gone, or stopped reading
        finally:
            for fd in (self.stdin, self.replies):
                os.close(fd)

    def wait(self, fd: int, writing: bool) -> None:
        """Wait until ``fd`` is ready, or raise EOFError once ``close`` was called."""
        while not self.stopped.is_set():
            ready = select.select(
                [] if writing else [fd], [fd] if writing else [], [], 0.2
            )
            if any(ready):
                return
        raise EOFError

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self.wait(self.stdin, writing=True)
            try:
                view = view[os.write(self.stdin, view[:65536]) :]
            except BlockingIOError:
                continue

    def read(self, size: int) -> bytes:
        chunks, missing = [], size
        while missing:
            self.wait(self.replies, writing=False)
            try:
                chunk = os.read(self.replies, min(missing, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def read_message(self) -> tuple[dict, dict] | None:
        """The next message, checked against the limits; None at the end."""
        try:
            (size,) = LENGTH.unpack(self.read(LENGTH.size))
        except EOFError:
            return None
        if size > MAX_HEADER:
            raise Overflow(f"a message of {size} bytes (the grader takes {MAX_HEADER})")
        try:
            header = json.loads(self.read(size))
        except (ValueError, RecursionError):
            raise Overflow("a message that is not JSON") from None
        if not isinstance(header, dict) or nesting(header) > MAX_NESTING:
            raise Overflow("a message that is not a JSON object of the protocol")
        arrays = {}
        for item in (
            header.pop("arrays", [])
            if isinstance(header.get("arrays"), list)
            else [None]
        ):
            name, dtype, shape = checked_array(item)
            count = math.prod(shape) if shape else 1
            if count * dtype.itemsize > self.left:
                raise Overflow(f"arrays of over {MAX_TOTAL} bytes in all")
            self.left -= count * dtype.itemsize
            data = self.read(count * dtype.itemsize)
            # A copy: the checks and the library may write into what they get.
            arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
        return header, arrays


def checked_array(item: object) -> tuple[str, np.dtype, list[int]]:
    """An array's name, dtype and shape from a message, if they are of the protocol:
    numbers only (no objects, no records), at most 32 dimensions."""
    try:
        name, dtype, shape = item
        dtype = np.dtype(dtype) if isinstance(dtype, str) and len(dtype) < 8 else None
    except (TypeError, ValueError):
        dtype = None
    if (
        dtype is None
        or not isinstance(name, str)
        or len(name) > 40
        or dtype.kind not in "biufc"
        or dtype.fields is not None
        or dtype.shape != ()
        or not isinstance(shape, list)
        or len(shape) > 32
        or not all(isinstance(n, int) and 0 <= n < 2**40 for n in shape)
    ):
        raise Overflow("an array that is not of numbers, or of a strange shape")
    return name, dtype, shape


def nesting(value: object, depth: int = 0) -> int:
    """How deeply ``value`` (parsed JSON) nests, counted up to ``MAX_NESTING + 1``."""
    if depth > MAX_NESTING or not isinstance(value, dict | list):
        return depth
    items = value.values() if isinstance(value, dict) else value
    return max((nesting(v, depth + 1) for v in items), default=depth)


def message_bytes(header: dict, arrays: dict) -> bytes:
    """A message as ``child.send`` writes it."""
    buffer = io.BytesIO()
    send(buffer, header, arrays)
    return buffer.getvalue()
