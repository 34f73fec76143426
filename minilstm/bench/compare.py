"""How minilstm compares with another side, in words: "1.20x faster", "1.50x slower"."""

import statistics
from collections.abc import Sequence


def versus(other: float, mine: float) -> str:
    """How minilstm compares with another side, from the two times: near par, where a
    target of "as fast" is decided, with two decimals."""
    if other >= mine:
        return f"{other / mine:.{2 if other < 2 * mine else 1}f}x faster"
    return f"{mine / other:.2f}x slower"


def versus_rounds(other: Sequence[float], mine: Sequence[float]) -> str:
    """``versus`` on the median of the rounds' ratios; near par, also how many rounds
    minilstm was the faster in, since one round's ratio can fall either side of 1.

    Args:
        other: the other side's seconds, one per round.
        mine: minilstm's seconds in the same rounds.
    """
    ratios = [o / m for o, m in zip(other, mine, strict=True)]
    ratio = statistics.median(ratios)
    shown = versus(ratio, 1.0)
    if 1 / 2 < ratio < 2:
        faster = sum(r > 1 for r in ratios)
        shown += f"; faster in {faster} of {len(ratios)} rounds"
    return shown
