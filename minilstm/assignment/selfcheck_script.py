"""Check your parts of the assignment yourself, with NumPy only.

    python selfcheck.py                  every part
    python selfcheck.py bptt adam        some parts

Run it from anywhere: it imports the minilstm in its own folder (your code), never an
installed one. For each part it calls your functions on the inputs in
``selfcheck_data/`` and prints the relative error of every output against the outputs
stored there, which the reference implementation computed when this folder was made.
Correct code gives about 1e-15; your error should be below 1e-8. Where a call goes
wrong, it names the likely mistake when your outputs match one the grader knows. The
grader checks the same functions on other inputs, and also against central differences.

In a notebook: ``import selfcheck; selfcheck.check("bptt")`` prints the same report and
raises ``SelfCheckFailed`` unless the part passes.
"""

import argparse
import json
import re
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "selfcheck_data"
TOL = 1e-8
# Set from the data: the grader's words for a result of the transposed shape.
TRANSPOSED = "the transpose"
# The message a stub raises starts so.
STUB = re.compile(r"assignment part '(\w+)': write ([\w.]+)\.")


class SelfCheckFailed(AssertionError):
    """A part did not pass its self-check (its report says why)."""


def import_workspace(extra: list[str]) -> None:
    """Put this folder first on the path and import its minilstm.

    Args:
        extra: more folders to look in for NumPy, last.
    """
    if str(HERE) not in sys.path[:1]:
        sys.path.insert(0, str(HERE))
    sys.path.extend(extra)
    import minilstm

    where = Path(minilstm.__file__).resolve().parent
    if where != HERE / "minilstm":
        raise SystemExit(f"imported minilstm from {where}, not from {HERE}; stopping")


def rel_error(a, b) -> float:
    """||a - b|| / (||a|| + ||b||), 0 when both are zero.

    Args:
        a: an array.
        b: an array of the same shape.
    """
    import numpy as np

    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / scale) if scale else 0.0


def decode(value, arrays: dict, objects: dict):
    """An argument as stored in the data file, as the function takes it.

    Args:
        value: the stored form (JSON, with array names).
        arrays: the part's arrays, by name.
        objects: what earlier calls made (a model, an optimizer), by call number.
    """
    if not isinstance(value, dict):
        return value
    if "a" in value:
        return arrays[value["a"]].copy()
    if "ref" in value:
        return objects[value["ref"]]
    if "make" in value:
        module, _, name = value["make"].rpartition(".")
        cls = getattr(sys.modules[f"minilstm.{module}"], name)
        fields = value["fields"].items()
        return cls(**{k: decode(v, arrays, objects) for k, v in fields})
    if "dict" in value:
        return {k: decode(v, arrays, objects) for k, v in value["dict"].items()}
    items = value.get("tuple", value.get("list", []))
    items = [decode(v, arrays, objects) for v in items]
    return tuple(items) if "tuple" in value else items


def child_name(names, k: int, prefix: str):
    """The name of item ``k`` of an output named ``names``.

    Args:
        names: the output's name, or a list of its items' names.
        k: the item's index.
        prefix: the output's name when ``names`` does not name the item.
    """
    if isinstance(names, list) and k < len(names):
        return names[k]
    return f"{prefix}[{k}]"


def change(after, before):
    """What a call changed in its arguments: after - before for each array.

    Args:
        after: the arguments after the call.
        before: copies of them made before it.
    """
    import numpy as np

    if isinstance(after, np.ndarray) and isinstance(before, np.ndarray):
        return after - before
    if isinstance(after, list | tuple) and isinstance(before, list | tuple):
        return [change(a, b) for a, b in zip(after, before, strict=True)]
    return None


def copied(value):
    """A copy of a call's arguments deep enough that the call cannot change it.

    Args:
        value: the arguments.
    """
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):
        return [copied(v) for v in value]
    return value


def compare(names, got, want, arrays: dict, found: list) -> None:
    """Compare an output with the expected one; append (name, error, problem) items.

    Args:
        names: what to call the output (a name, or a list naming its items).
        got: what your function returned.
        want: the stored expected output.
        arrays: the part's arrays, by name.
        found: the list to append to; error is None when the output could not be
            compared, and problem None when it could.
    """
    import numpy as np

    name = names if isinstance(names, str) else "result"
    if not isinstance(want, dict):
        if isinstance(want, int | float) and not isinstance(want, bool):
            try:
                found.append((name, rel_error(float(got), float(want)), None))
            except (TypeError, ValueError):
                found.append((name, None, f"should be a number, got {got!r:.40}"))
        return  # None (e.g. an update in place returns nothing) needs no check
    if "object" in want:
        return  # a model or an optimizer: the calls that use it check it
    if "a" in want:
        expected = arrays[want["a"]]
        try:
            value = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            kind = type(got).__name__
            found.append((name, None, f"is not an array of numbers (got {kind})"))
            return
        if value.shape != expected.shape:
            problem = f"has shape {value.shape}, expected {expected.shape}"
            if value.ndim == 2 and value.shape == expected.shape[::-1]:
                problem += f": {TRANSPOSED}"
            found.append((name, None, problem))
        elif not np.array_equal(np.isfinite(value), np.isfinite(expected)):
            # NaN or inf is wrong, unless a mistake's output has them in the same place.
            found.append((name, None, "contains NaN or inf"))
        else:
            finite = np.isfinite(expected)
            found.append((name, rel_error(value[finite], expected[finite]), None))
        return
    if "make" in want:
        fields = want["fields"]
        kind = want["make"].rpartition(".")[2]
        if not isinstance(got, tuple) or len(got) != len(fields):
            problem = f"should be a {kind}({', '.join(fields)})"
            found.append((name, None, problem))
            return
        for (field, expected), value in zip(fields.items(), got, strict=True):
            compare(f"{name}.{field}", value, expected, arrays, found)
        return
    if "dict" in want:
        if not isinstance(got, dict) or set(got) != set(want["dict"]):
            found.append((name, None, f"should be a dict of {sorted(want['dict'])}"))
            return
        for key, expected in want["dict"].items():
            compare(f"{name}[{key!r}]", got[key], expected, arrays, found)
        return
    items = want.get("tuple", want.get("list", []))
    if not isinstance(got, tuple | list) or len(got) != len(items):
        count = len(got) if isinstance(got, tuple | list) else type(got).__name__
        found.append((name, None, f"should be {len(items)} values, got {count}"))
        return
    for k, (value, expected) in enumerate(zip(got, items, strict=True)):
        compare(child_name(names, k, name), value, expected, arrays, found)


def shapes(args) -> str:
    """The shapes of a call's array arguments, for saying which call failed.

    Args:
        args: the call's decoded arguments.
    """
    import numpy as np

    found = [str(a.shape) for a in args if isinstance(a, np.ndarray)]
    return f" (arrays of shapes {', '.join(found)})" if found else ""


def ended(label: str, exc: BaseException) -> tuple[str, str]:
    """The verdict and the message for a call that raised ``exc``.

    Args:
        label: the function called.
        exc: what it raised.
    """
    text = str(exc).strip()
    stub = STUB.match(text)
    if isinstance(exc, NotImplementedError) and stub:
        part, function = stub.groups()
        if function == label:
            return "not written yet", f"{function} still raises NotImplementedError"
        return "not written yet", (
            f"{label} calls {function} (part {part}), which is not written yet"
        )
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(HERE):
            where = f" at {path.relative_to(HERE)}:{frame.lineno}: {frame.line}"
    first = text.splitlines()[0] if text else ""
    return "failed", f"{label} raised {type(exc).__name__}: {first}{where}"


def wrong_blocks(step: dict, name: str, result, arrays: dict) -> str:
    """Which gate blocks of a wrong output are wrong, when only some are ("" else).

    Args:
        step: the call's record; its "blocks" name the blocks of the last axis of
            some outputs (the LSTM's i, f, g, o; the GRU's z, r, h).
        name: the wrong output's name, one of the result's items.
        result: what your function returned.
        arrays: the part's arrays, by name.
    """
    import numpy as np

    blocks, names, want = step.get("blocks", {}), step["names"], step["want"]
    if name not in blocks or not isinstance(names, list) or name not in names:
        return ""
    k = names.index(name)
    expected = arrays[(want.get("tuple") or want.get("list"))[k]["a"]]
    value = np.asarray(result[k], dtype=np.float64)
    H = expected.shape[-1] // len(blocks[name])
    wrong = [
        block
        for j, block in enumerate(blocks[name])
        if rel_error(
            value[..., j * H : (j + 1) * H], expected[..., j * H : (j + 1) * H]
        )
        >= TOL
    ]
    if not wrong or len(wrong) == len(blocks[name]):
        return ""
    order = ", ".join(b[b.index("(") + 1 : -1] for b in blocks[name])
    return f" (wrong in the block of the {', '.join(wrong)} only; in order {order})"


def likely_mistake(step: dict, result, changed, arrays: dict) -> str:
    """The known mistake your outputs match, as the grader names it ("" for none).

    Args:
        step: the call's record, with the mistakes the grader knows for it.
        result: what your function returned.
        changed: what it changed in its arguments (None if it changes nothing).
        arrays: the part's arrays, by name.
    """
    for mistake in step.get("likely", []):
        found = []
        compare(step["names"], result, mistake["want"], arrays, found)
        if mistake["want_args"] is not None:
            compare(step["arg_names"], changed, mistake["want_args"], arrays, found)
        if found and all(p is None and e < TOL for _, e, p in found):
            return mistake["text"]
    return ""


def run_part(part: str, out=None) -> tuple[str, list[str]]:
    """Check one part and print its report.

    Args:
        part: the part's name.
        out: where to print (standard output by default).

    Returns:
        the verdict ("passed", "failed" or "not written yet") and the other parts
        whose functions this part's calls run.
    """
    import numpy as np

    global TRANSPOSED
    out = out or sys.stdout
    spec = json.loads((DATA / f"{part}.json").read_text())
    TRANSPOSED = spec.get("transposed", TRANSPOSED)
    uses = spec.get("uses", [])
    with np.load(DATA / f"{part}.npz", allow_pickle=False) as data:
        arrays = dict(data)
    print(f"{spec['title']} ({part})", file=out)
    # Calls are counted per function, as you would count them in your code.
    totals, counts = {}, {}
    for step in spec["steps"]:
        totals[step["label"]] = totals.get(step["label"], 0) + 1
    objects, worst, first_problem, mistake = {}, {}, None, ""
    for k, step in enumerate(spec["steps"]):
        label = step["label"]
        counts[label] = counts.get(label, 0) + 1
        try:
            args = decode(step["args"], arrays, objects)
            kwargs = decode(step["kwargs"], arrays, objects)
            before = copied(args) if "want_args" in step else None
            kind, owner, attr = step["target"]
            if kind == "ref":
                function = getattr(objects[owner], attr)
            else:
                function = getattr(sys.modules[f"minilstm.{owner}"], attr)
            result = function(*args, **kwargs)
        except (Exception, SystemExit) as exc:  # your code's error is the report
            verdict, message = ended(label, exc)
            print(f"  {message}", file=out)
            print(f"  -> {verdict.upper()}", file=out)
            return verdict, uses
        if step["want"] == {"object": type(result).__name__}:
            objects[k] = result
        found = []
        compare(step["names"], result, step["want"], arrays, found)
        changed = None
        if "want_args" in step:
            changed = change(args, before)
            compare(step["arg_names"], changed, step["want_args"], arrays, found)
        for name, error, problem in found:
            key = (label, name)
            if problem is None and error < TOL:
                worst.setdefault(key, error)
                worst[key] = max(worst[key], error)
                continue
            worst[key] = float("inf") if error is None else error
            if first_problem is None:
                what = problem or f"relative error {error:.1e}"
                if problem is None:
                    what += wrong_blocks(step, name, result, arrays)
                call = f"call {counts[label]} of {totals[label]}"
                call = call if totals[label] > 1 else "its call"
                first_problem = f"{label}, {call}{shapes(args)}: {name} {what}"
                mistake = likely_mistake(step, result, changed, arrays)
    width = max((len(f"{label}  {name}") for label, name in worst), default=0)
    for (label, name), error in worst.items():
        if error == float("inf"):
            shown = "wrong"
        else:
            shown = f"{error:.1e}" + ("" if error < TOL else "  <- too large")
        print(f"  {f'{label}  {name}':<{width}}  {shown}", file=out)
    if first_problem:
        print(f"  first problem: {first_problem}", file=out)
        if mistake:
            print(f"  Likely mistake: {mistake}.", file=out)
        print(f"  -> FAILED: your error should be below {TOL:g}", file=out)
        return "failed", uses
    print(f"  -> passed: every relative error is below {TOL:g}", file=out)
    return "passed", uses


def check(part: str) -> None:
    """Check one part (as in a notebook): print its report, raise unless it passed.

    Args:
        part: the part's name.

    Raises:
        SelfCheckFailed: the part failed or is not written yet.
    """
    import_workspace([])
    verdict, _ = run_part(part)
    if verdict != "passed":
        raise SelfCheckFailed(f"part {part!r}: {verdict}; see the report above")


def main(argv: list[str] | None = None) -> int:
    """Check the chosen parts; exit status 0 when every one passed.

    Args:
        argv: the command line's arguments (after the script's name).
    """
    handed_out = json.loads((DATA / "parts.json").read_text())
    parser = argparse.ArgumentParser(prog="python selfcheck.py", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART", help=", ".join(handed_out))
    parser.add_argument("--path", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in handed_out]
    if unknown:
        parser.error(f"no self-check for {unknown}; choose from {handed_out}")
    import_workspace(args.path)
    verdicts = {}
    for part in args.parts or handed_out:
        verdicts[part], uses = run_part(part)
        # A part runs with all of your code: a failed part it uses may be the cause.
        causes = [p for p in uses if verdicts.get(p) == "failed"]
        if verdicts[part] == "failed" and causes:
            listed = ", ".join(causes)
            print(f"  (it runs your {listed} too, which failed: that may be the cause)")
        print()
    passed = sum(v == "passed" for v in verdicts.values())
    print(f"{passed} of {len(verdicts)} parts passed.")
    return 0 if passed == len(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
