"""A course assignment kit: student workspaces cut from minilstm's source, and a grader.

    python -m minilstm.assignment init DIR [--parts ...]     hand out
    python -m minilstm.assignment grade DIR [--json FILE]    grade

See docs/teachers.md.
"""

from minilstm.assignment.grader import grade
from minilstm.assignment.parts import PARTS
from minilstm.assignment.workspace import init_workspace

__all__ = ["PARTS", "grade", "init_workspace"]
