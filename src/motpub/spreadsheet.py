"""CSV cells that a spreadsheet will not run as formulas (OWASP's CSV injection advice).

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula, so a title such as `=HYPERLINK(...)` written by
one editor would run on the machine of whoever opens the export. Such cells get a leading
single quote, which spreadsheets show as text. To keep that reversible, a cell that already
starts with quotes followed by one of those characters gets one more quote, and the import
takes exactly one off: export then import gives back the original text.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")


def neutralize_cell(value: Any) -> Any:
    """The cell as written to a CSV: strings that a spreadsheet would evaluate are quoted;
    other values (numbers, None) pass as they are."""
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text a cell of our own export stood for: the quote `neutralize_cell` added is
    taken off, and nothing else."""
    if value.startswith("'") and _NEEDS_QUOTE.match(value, 1):
        return value[1:]
    return value
