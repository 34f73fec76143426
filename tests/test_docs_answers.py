"""docs/hooks/answers.py, which leaves the exercises' answers out of the site."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("answers", ROOT / "docs/hooks/answers.py")
answers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(answers)

PAGE = """## Section

1. First question?

    *Hint:* think. *Expect:* about 1e-9.

    ??? note "Answer"
        The answer,

        in two paragraphs.

2. Second question, whose answer has code.

    ??? note "Answer"
        ```python
        print(1)
        ```
Text after the list.

??? note "Answer"
    A top-level answer.
"""


def test_strip_answers_keeps_questions_and_hints():
    out = answers.strip_answers(PAGE)
    assert "Answer" not in out
    assert "The answer" not in out and "print(1)" not in out and "top-level" not in out
    for kept in ("## Section", "1. First question?", "*Hint:* think.", "2. Second"):
        assert kept in out
    assert "\n\nText after the list." in out


def test_strip_answers_leaves_other_blocks():
    page = '??? note "Hint"\n    keep me\n\n!!! note "Answer"\n    and me\n'
    assert answers.strip_answers(page) == page


def test_hook_reads_the_environment(monkeypatch):
    monkeypatch.delenv(answers.ENV, raising=False)
    assert answers.on_page_markdown(PAGE, None, None, None) == PAGE
    monkeypatch.setenv(answers.ENV, "1")
    assert "Answer" not in answers.on_page_markdown(PAGE, None, None, None)


def test_every_exercise_has_a_hint_and_an_answer():
    """Each numbered question on the exercises page has a hint and an answer block."""
    text = (ROOT / "docs/exercises.md").read_text()
    items = [q for section in text.split("\n## ")[1:] for q in _items(section)]
    assert len(items) >= 40
    for item in items:
        assert "*Hint:*" in item and '??? note "Answer"' in item, item[:60]


def _items(section: str) -> list[str]:
    """The numbered items of one section of the page, each with its indented body."""
    items, current = [], None
    for line in section.split("\n"):
        if line[:1].isdigit() and ". " in line[:4]:
            current = [line]
            items.append(current)
        elif current is not None and (not line.strip() or line.startswith(" ")):
            current.append(line)
        else:
            current = None
    return ["\n".join(item) for item in items]
