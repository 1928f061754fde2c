"""mkdocs hooks of the documentation site.

Docstrings use Sphinx roles (``:class:`MinimalRestAPI` ``), which Markdown shows literally
as ":class:" before the code. The rendered page keeps the name as inline code and drops the
role; a leading ``~`` (Sphinx's "last component only") shortens the name the same way.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|data|attr|mod|exc|obj|const|ref|term):<code>~?(?P<name>[^<]+)</code>"
)


def _name(match: re.Match[str]) -> str:
    name = match["name"]
    shown = (
        name.rsplit(".", 1)[-1] if match.group(0).split("<code>", 1)[1].startswith("~") else name
    )
    return f"<code>{shown}</code>"


def strip_sphinx_roles(html: str) -> str:
    """``:class:<code>X</code>`` -> ``<code>X</code>`` in rendered HTML."""
    return _ROLE.sub(_name, html)


def on_page_content(html: str, **_: Any) -> str:
    return strip_sphinx_roles(html)
