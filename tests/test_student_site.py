"""The student edition of the site (minilstm/assignment/student_site.py and
docs/hooks/student.py): the handed-out functions as stubs everywhere, nothing of their
bodies left, every equation kept.

The fast tests check the pieces on small inputs; the slow ones build the site for the
default parts and for the opt-in ones (a few minutes each on two cores, less when
build/docs/ holds the example scripts' output) and read every page, notebook and the
search index back.
"""

import html
import importlib.util
import json
import re
from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from minilstm.assignment import init_workspace
from minilstm.assignment.__main__ import main
from minilstm.assignment.parts import DEFAULT_PARTS, PARTS
from minilstm.assignment.student_site import (
    answer_lines,
    build_site,
    leaks,
    parts_from,
    redact_example,
)
from minilstm.assignment.workspace import PACKAGE_DIR, library_markers

ROOT = Path(__file__).resolve().parents[1]
OPT_IN = [name for name, part in PARTS.items() if not part.default]
SNIPPET = re.compile(r'--8<-- "minilstm/(\w+\.py):([\w-]+)"')
INLINE_MATH = re.compile(r"\\\((.+?)\\\)")
PLACEHOLDER = re.compile(r"\{\{ \w+\.\w+ \}\}")
DISPLAY_MATH = re.compile(r"\\\[(.+?)\\\]", re.DOTALL)
spec = importlib.util.spec_from_file_location("answers", ROOT / "docs/hooks/answers.py")
answers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(answers)


def test_answer_lines_are_the_bodies_less_what_the_student_has_anyway():
    answers = answer_lines(["bptt"])
    # The loop's heart is an answer; the lines that unpack x's shape and carry dh
    # back are in code the student keeps (lstm_forward, the SimpleRNN's and GRU's
    # BPTT), so they give nothing away.
    line = "dz[t], dc_next = lstm_cell_backward(dhs[t] + dh_next, dc_next, cells[t])"
    assert answers[line] == "lstm.py: lstm_backward"
    assert "N, T, D = x.shape" not in answers
    assert "dh_next = dz[t] @ recurrent_kernel.T" not in answers
    assert "return" not in answers and ")" not in answers
    assert all(where == "lstm.py: lstm_backward" for where in answers.values())


def test_leaks_finds_a_line_in_highlighted_html_a_notebook_and_the_search_index(
    tmp_path,
):
    line = "dz[t], dc_next = lstm_cell_backward(dhs[t] + dh_next, dc_next, cells[t])"
    code = highlight(f"for t in ts:\n    {line}\n", PythonLexer(), HtmlFormatter())
    assert line not in code  # the highlighter splits it into spans
    (tmp_path / "page.html").write_text(f"<html><body>{code}</body></html>")
    notebook = {"cells": [{"cell_type": "code", "source": [f"    {line}\n"]}]}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "search").mkdir()
    index = {"docs": [{"title": "BPTT", "text": f"<code>{line}</code>"}]}
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(index))
    (tmp_path / "clean.html").write_text("<p>dz[t], dc_next = f(dhs[t])</p>")
    found = leaks(tmp_path, ["bptt"])
    assert sorted(f for f, _, _ in found) == [
        "nb.ipynb",
        "page.html",
        "search/search_index.json",
    ]
    assert {(text, where) for _, text, where in found} == {
        (line, "lstm.py: lstm_backward")
    }


def test_an_example_that_copies_a_body_keeps_its_signature_and_says_what_is_left_out():
    source = (ROOT / "docs" / "examples" / "planted_slips.py").read_text()
    redacted = redact_example(source, answer_lines(["lstm_step_backward", "bptt"]))
    compile(redacted, "planted_slips.py", "exec")
    assert "do = dh * tanh_c" in source and "do = dh * tanh_c" not in redacted
    assert "def tanh_grad_of_c(" in redacted
    assert '"""Slip: tanh\'(c) written 1 - c**2 instead of 1 - tanh(c)**2."""' in (
        redacted
    )
    assert "it copies lstm.py: lstm_cell_backward" in redacted
    assert "it copies lstm.py: lstm_backward" in redacted
    # The slip that calls the library's function copies nothing and stays.
    assert "cache._replace(c_prev=c_t)" in redacted
    assert redacted.count("# --8<-- [start:") == source.count("# --8<-- [start:")
    # With no part handed out there is nothing to leave out.
    assert redact_example(source, answer_lines([])) == source


def test_the_parts_come_from_a_list_or_from_a_workspace(tmp_path):
    assert parts_from(None, None) == DEFAULT_PARTS
    assert parts_from(None, ["adam", "bptt"]) == ["bptt", "adam"]
    parts = ["mse_backward", "gru_step_forward"]
    workspace = init_workspace(tmp_path / "ws", parts=parts)
    assert parts_from(workspace, None) == ["mse_backward", "gru_step_forward"]
    with pytest.raises(ValueError, match="not both"):
        parts_from(workspace, ["bptt"])
    with pytest.raises(FileNotFoundError, match=r"assignment\.json"):
        parts_from(tmp_path, None)
    with pytest.raises(ValueError, match="unknown parts"):
        parts_from(None, ["nope"])


def test_the_command_refuses_a_missing_config_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["site", "--out", str(tmp_path / "site"), "--config-file", "nope.yml"])
    assert stop.value.code == 2
    assert "run from a clone" in capsys.readouterr().err


def _shown_functions(parts: list[str]) -> set[str]:
    """The handed-out functions whose code a page includes (with a snippet)."""
    shown = set()
    sections = {
        match.groups()
        for page in (ROOT / "docs").glob("*.md")
        for match in SNIPPET.finditer(page.read_text())
    }
    for module, section in sections:
        lines = (PACKAGE_DIR / module).read_text().splitlines()
        start = next(k for k, t in enumerate(lines) if f"[start:{section}]" in t)
        end = next(k for k, t in enumerate(lines) if f"[end:{section}]" in t)
        text = "\n".join(lines[start:end])
        for marked in library_markers():
            name = marked.qualname.rpartition(".")[2]
            if (
                marked.module == module
                and marked.part in parts
                and re.search(rf"def {name}\(", text)
            ):
                shown.add((marked.part, marked.qualname))
    return shown


def _math(markdown: str) -> list[str]:
    squash = lambda s: " ".join(s.split())  # noqa: E731
    found = [squash(m) for m in INLINE_MATH.findall(markdown)]
    return found + [squash(m) for m in DISPLAY_MATH.findall(markdown)]


@pytest.mark.slow
@pytest.mark.parametrize("parts", [DEFAULT_PARTS, OPT_IN], ids=["default", "opt-in"])
def test_the_student_site_shows_stubs_holds_no_body_and_keeps_every_equation(
    parts, tmp_path
):
    site = build_site(parts, tmp_path / "site", ROOT / "mkdocs.yml")
    assert leaks(site, parts) == []
    pages = {p.name: p.read_text() for p in site.glob("*.html")}
    text = "\n".join(pages.values())
    # Every handed-out function a page shows is there as the student's stub.
    shown = _shown_functions(parts)
    assert shown, "no page shows a handed-out function: the test would prove nothing"
    for part, qualname in shown:
        assert f"assignment part &#39;{part}&#39;: write {qualname}." in text or (
            f"assignment part '{part}': write {qualname}." in text
        ), qualname
    # The answers are out.
    assert "<summary>Answer</summary>" not in pages["exercises.html"]
    # Every equation of the pages' prose (the answers' aside) is on the built page.
    for source in (ROOT / "docs").glob("*.md"):
        body = " ".join(html.unescape(pages[source.with_suffix(".html").name]).split())
        for formula in _math(answers.strip_answers(source.read_text())):
            # A number the build fills in ({{ script.key }}) may be anything.
            pattern = PLACEHOLDER.sub("\x00", formula)
            pattern = ".+?".join(map(re.escape, pattern.split("\x00")))
            assert re.search(pattern, body), (source.name, formula)
    notebooks = sorted(site.glob("notebooks/*.ipynb"))
    assert notebooks
    for path in notebooks:
        json.loads(path.read_text())  # valid JSON, made from the student's copy
