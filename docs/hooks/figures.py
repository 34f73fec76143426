"""Make every figure a link to its own picture, so that a tap or a click opens it full
size: on a phone a 7-inch figure is shrunk to the screen's width, its labels with it.

A picture already inside a link is left as it is. tests/test_docs_site.py checks that
every figure on every page is such a link.
"""

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

IMAGE = re.compile(r"<img\b[^>]*?\bsrc=\"([^\"]+)\"[^>]*>")
# An opening <a ...> right before the picture, or a closing </a> right after it.
LINK_BEFORE = re.compile(r"<a\b[^>]*>\s*$")
LINK_AFTER = re.compile(r"^\s*</a>")


def link_figures(html: str) -> str:
    """The page's HTML with each <img> not yet in a link wrapped in one to its src.

    Args:
        html: a page's HTML, as Markdown made it.

    Returns:
        the HTML with the links added.
    """
    out: list[str] = []
    last = 0
    for match in IMAGE.finditer(html):
        before, after = html[last : match.start()], html[match.end() :]
        out.append(before)
        if LINK_BEFORE.search(before) or LINK_AFTER.match(after):
            out.append(match.group(0))
        else:
            out.append(
                f'<a class="minilstm-figure" href="{match.group(1)}" '
                f'title="Open the picture full size">{match.group(0)}</a>'
            )
        last = match.end()
    out.append(html[last:])
    return "".join(out)


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return link_figures(html)
