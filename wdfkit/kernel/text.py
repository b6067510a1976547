"""Printed text no wider than a notebook cell: lines of at most 100 columns.

JupyterLab shows about 100 characters of a cell's output at 1400 px; a longer line wraps
wherever the browser chooses, often inside a word.  Everything the simulator prints for the
learner (bug checks, log lines, views, problem texts) goes through :func:`fill`.

Chinese text is measured as a terminal measures it: a Chinese character (East Asian Wide or
Fullwidth) takes two columns.  Chinese has no spaces between words, so a line may break
between any two Chinese characters — but never before a closing mark (，。：） …) or after
an opening one (（“ …), the usual Chinese line-breaking rule.  Sentences are made one by one
and joined with a space, as English joins them; in Chinese a full-width mark carries its own
space, so the one space after one is dropped (a run of spaces lines up columns and stays), and
a Chinese character gets a space beside a Latin letter or digit (``共 3 块``), as technical
Chinese is written.
"""

import re
import textwrap
import unicodedata

WIDTH = 100
"""The widest printed line: what a notebook cell shows at 1400 px without wrapping."""

_GLUE = "\x00"
"""Glue: a space that never breaks (it holds a name and its number together)."""
_SOFT_GLUE = "\x01"
"""Glue that gives way when what it holds together would not fit in WIDTH."""
_NUMBER_AFTER_NAME = re.compile(r"(?<!,) (?=\(?0x)")
"""A space before a number (``0x…`` or ``(0x…)``): a status and its code, a type and its
handle stay on one line."""
_NUMBER_IN_LIST = re.compile(r"(?<=,) (?=\(?0x)")
"""A space after a comma before a number (``(0xC0000001, 0x1F40)``, a bug check's
parameters): kept whole when it fits, broken when it alone is wider than a line."""
_NAME_AFTER_CODE = re.compile(r"(\b0x[0-9A-Fa-f]+) (?=[A-Z][A-Z0-9_]{2,}\b)")
"""A space between a code and its name: ``0x10D WDF_VIOLATION`` stays on one line."""
_PHRASE = re.compile(r"(?:\*\*\* )?BUG CHECK\b")
"""Words that name one thing together: ``*** BUG CHECK`` is never split across lines."""


def fill(text: str, first: str = "", rest: str = "") -> str:
    """*text* in lines of at most WIDTH characters, *first* before its first line and *rest*
    before the others.  Words are never cut, a line break already in *text* is kept, and a
    number stays on the line of the name before it (``STATUS_SUCCESS (0x00000000)``,
    ``WDFLOOKASIDE 0x00003d75bffffb18``), a code on the line of its name
    (``0x10D WDF_VIOLATION (0x5, …)``), ``*** BUG CHECK`` with the code after it, and a list
    of numbers on one line unless it alone is wider than a line."""
    glued = _NAME_AFTER_CODE.sub(rf"\1{_GLUE}", _NUMBER_AFTER_NAME.sub(_GLUE, text))
    glued = _PHRASE.sub(lambda phrase: phrase[0].replace(" ", _GLUE), glued)
    glued = _NUMBER_IN_LIST.sub(_SOFT_GLUE, glued)
    lines = []
    for index, line in enumerate(glued.split("\n")):
        indent = first if index == 0 else rest
        wrap = _wrap_wide if any(_is_wide(char) for char in line) else _wrap
        wrapped = wrap(line, indent, rest)
        if any(width(part) > WIDTH for part in wrapped.split("\n")):
            wrapped = wrap(line.replace(_SOFT_GLUE, " "), indent, rest)
        lines.append(wrapped.replace(_GLUE, " ").replace(_SOFT_GLUE, " "))
    return "\n".join(lines)


def width(text: str) -> int:
    """The columns *text* takes in a notebook's output: two for each Chinese character."""
    return sum(2 if _is_wide(char) else 1 for char in text)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


_CLOSING = set("，。、：；？！）》」』】〉…—%％”’,.:;?!)]}")
"""Marks that never begin a line: they stay with what is before them."""
_OPENING = set("（《「『【〈“‘([{")
"""Marks that never end a line: they stay with what follows them."""


def _pieces(line: str) -> list[tuple[str, str]]:
    """*line* cut where it may break: (space before, piece) pairs.  A piece is one Chinese
    character or a run of other characters, with any closing marks after it and opening
    marks before it; the space before is what separates it from the piece before (kept
    inside a line, dropped at a break)."""
    pieces: list[tuple[str, str]] = []
    space, current = "", ""
    for char in line:
        if char in (_GLUE, _SOFT_GLUE) and current and _is_wide(current[-1]):
            char = " "  # glue holds a name to its number; after Chinese it is a plain space
        if char == " ":
            if current:
                pieces.append((space, current))
                space, current = "", ""
            space += char
        elif char in _CLOSING or (current and current[-1] in _OPENING):
            current += char
        elif _is_wide(char) or (current and _is_wide(current[-1])):
            if current:
                pieces.append((space, current))
                space = ""
            current = char
        else:
            current += char
    if current:
        pieces.append((space, current))
    return pieces


def _spacing(before: str, space: str, after: str) -> str:
    """The space between a piece ending in *before* and the next starting with *after*.

    A full-width mark carries its own space, so the one space that joins sentences is dropped
    after it; a run of spaces is kept: it lines up columns (``预期：    {wanted}``)."""
    if _is_wide(before) and not before.isalnum() and len(space) <= 1:
        return ""
    if not space and (
        (_is_wide(before) and after.isascii() and after.isalnum())
        or (before.isascii() and before.isalnum() and _is_wide(after) and after.isalnum())
    ):
        return " "
    return space


def spaced(text: str) -> str:
    """*text* spaced as Chinese is written (see the module's docstring), not wrapped: for a
    line a browser wraps itself, such as a lab's message."""
    lines = []
    for line in text.split("\n"):
        if any(_is_wide(char) for char in line):
            lead = line[: len(line) - len(line.lstrip(" "))]
            joined = ""
            for space, piece in _pieces(line.strip(" ")):
                joined += (_spacing(joined[-1], space, piece[0]) if joined else "") + piece
            line = lead + joined
        lines.append(line)
    return "\n".join(lines)


def _wrap_wide(line: str, first: str, rest: str) -> str:
    """*line* with Chinese in it, wrapped at WIDTH columns between pieces (:func:`_pieces`)."""
    text = line.strip(" ")
    lead = line[: len(line) - len(line.lstrip(" "))] if text else ""
    lines, current = [], first + lead  # (a paragraph's own indent stays, as textwrap keeps it)
    fresh = True  # nothing but the indent on the current line yet
    for space, piece in _pieces(text):
        if not fresh:
            space = _spacing(current[-1], space, piece[0])
        if not fresh and width(current) + width(space) + width(piece) > WIDTH:
            lines.append(current.rstrip(" "))
            current, fresh = rest, True
        current += piece if fresh else space + piece
        fresh = False
    lines.append(current.rstrip(" "))
    return "\n".join(lines)


def _wrap(line: str, first: str, rest: str) -> str:
    """*line* (no line break in it) wrapped at WIDTH between words, never inside one;
    the glue characters count as parts of a word."""
    return textwrap.fill(
        line,
        WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
