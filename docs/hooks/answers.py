"""Leave the exercises' answers out of the site when MINILSTM_DOCS_NO_ANSWERS=1.

An answer is a collapsed block that starts with a line ``??? note "Answer"``
(pymdownx details) and goes on while the lines are blank or indented deeper than it.
A teacher who builds the site with the variable set gets the questions, hints and
expected magnitudes, without the answers:

    MINILSTM_DOCS_NO_ANSWERS=1 python -m mkdocs build

A student edition (MINILSTM_DOCS_STUDENT_PARTS set) leaves them out as well.
"""

import os
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ENV = "MINILSTM_DOCS_NO_ANSWERS"
STUDENT_ENV = "MINILSTM_DOCS_STUDENT_PARTS"
ANSWER = re.compile(r'^([ \t]*)\?\?\?\+? note "Answer"[ \t]*$')


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def strip_answers(markdown: str) -> str:
    """The page without its answer blocks.

    Args:
        markdown: the page's Markdown source.

    Returns:
        the same text with every ``??? note "Answer"`` block and its body removed.
    """
    kept: list[str] = []
    lines = markdown.split("\n")
    k = 0
    while k < len(lines):
        start = ANSWER.match(lines[k])
        if not start:
            kept.append(lines[k])
            k += 1
            continue
        depth = len(start.group(1))
        k += 1
        while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) > depth):
            k += 1
        # The blank lines the block swallowed still separate what came before and after.
        if kept and kept[-1].strip():
            kept.append("")
    return "\n".join(kept)


def answers_hidden() -> bool:
    """Whether the build leaves the answers out: the variable set to 1, or a student
    edition being built (docs/hooks/student.py)."""
    student = os.environ.get(STUDENT_ENV, "").strip()
    return os.environ.get(ENV, "") == "1" or bool(student)


def on_page_markdown(
    markdown: str,
    page: Page,
    config: MkDocsConfig,
    files: Files,
) -> str:
    """MkDocs hook: the page's Markdown, without answers if the variable asks for it."""
    return strip_answers(markdown) if answers_hidden() else markdown
