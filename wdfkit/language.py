"""The language of what the course says to a learner: English, or Simplified Chinese.

One setting, chosen by the first code cell of a lesson (:func:`use_language`), decides the
language of the text the package writes *for the learner*: problem questions and feedback,
widget labels, plot titles and axis labels, lab messages and the explanatory sentence of a
blue screen.  What Windows itself prints stays English whatever the setting — the log, the
object views, a blue screen's code, name and parameters, NTSTATUS names — as WinDbg prints
them for every driver developer.

Translations come from the standard library's :mod:`gettext`, from the catalog
``wdfkit/locale/<language>/LC_MESSAGES/wdfkit.mo`` compiled from its ``.po`` file (the
``.po`` is the source; ``tests/test_translations.py`` checks the ``.mo`` is compiled from it
and that every message has its translation).  Code marks a message with :func:`_` where the
text is made, always at run time, never when a module is imported, so the setting of the
moment decides; a message kept in a module-level constant is marked with :func:`N_` and
translated with :func:`_` where it is shown.  A message with values in it is written with
named fields, ``_("{count} bytes").format(count=n)``, never as an f-string: the translation
must be able to put the values where Chinese puts them.

>>> use_language("zh_CN")
>>> _("Not quite: you answered {shown}.").format(shown="0x50")
'不对：你的答案是 0x50。'
>>> use_language("en")
>>> _("Not quite: you answered {shown}.").format(shown="0x50")
'Not quite: you answered 0x50.'
"""

import gettext as _gettext
import warnings
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "N_",
    "UntranslatedWarning",
    "_",
    "both",
    "current",
    "either",
    "in_language",
    "listed",
    "use_language",
]

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
"""The languages the course is written in: code → its own name."""

LOCALE_DIR = Path(__file__).with_name("locale")
"""Where the compiled catalogs live, one per language but English (the messages' own)."""

_catalogs: dict[str, _gettext.GNUTranslations] = {}
_current = "en"


class UntranslatedWarning(UserWarning):
    """A message was shown in a language whose catalog has no translation for it."""


def use_language(code: str) -> None:
    """Speak *code* from now on: ``"en"`` (the default) or ``"zh_CN"``.

    The Chinese lessons call it in their first code cell.  Objects made before the call keep
    the text they were made with; run the lesson's cells again after changing it.
    """
    global _current
    if not isinstance(code, str):
        raise TypeError(f"use_language: code must be a str, e.g. 'zh_CN', not {code!r}")
    if code not in LANGUAGES:
        choices = ", ".join(repr(name) for name in LANGUAGES)
        raise ValueError(f"use_language: code must be one of {choices}, not {code!r}")
    if code != "en" and code not in _catalogs:
        with (LOCALE_DIR / code / "LC_MESSAGES" / "wdfkit.mo").open("rb") as compiled:
            catalog = _gettext.GNUTranslations(compiled)
        catalog.add_fallback(_Untranslated(LANGUAGES[code]))
        _catalogs[code] = catalog
    _current = code


def current() -> str:
    """The language now in use: ``"en"`` or ``"zh_CN"``."""
    return _current


@contextmanager
def in_language(code: str):
    """Speak *code* inside a ``with`` block, then the language before it again."""
    before = _current
    use_language(code)
    try:
        yield
    finally:
        use_language(before)


def _(message: str) -> str:
    """*message* in the language now in use (itself in English).

    A message the catalog lacks is shown in English, with an :class:`UntranslatedWarning`
    naming it, so a gap in a translation is seen rather than hidden.
    """
    if _current == "en" or not message:
        return message
    return _catalogs[_current].gettext(message)


class _Untranslated(_gettext.NullTranslations):
    """The catalog's fallback: a message it lacks is shown in English, with a warning."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def gettext(self, message: str) -> str:
        warnings.warn(  # (stacklevel: past gettext and _(), at the code that made the message)
            f"no {self.language} translation for {message!r}", UntranslatedWarning, stacklevel=4
        )
        return message


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark *message* for the catalog without translating it: a constant kept at import
    time and translated with :func:`_` where it is shown."""
    return message


def listed(items) -> str:
    """*items* (texts) as a list inside a sentence, in the language now in use: "a, b, c"
    ("a，b，c" in Chinese); "" for none.  The one place the course joins a list, so that every
    list a learner reads uses the same separator."""
    return _folded(items, N_("{list}, {item}"), "list", "item")


def either(items) -> str:
    """*items* as alternatives: "a or b or c"."""
    return _folded(items, N_("{first} or {second}"), "first", "second")


def both(items) -> str:
    """*items* all together: "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return items[0] if items else ""
    return _("{list} and {item}").format(list=listed(items[:-1]), item=items[-1])


def _folded(items, joiner: str, before: str, after: str) -> str:
    """*items* joined left to right by the message *joiner*, translated, whose fields *before*
    and *after* take the text so far and the next item; "" for none."""
    items = list(items)
    text = items[0] if items else ""
    for item in items[1:]:
        text = _(joiner).format(**{before: text, after: item})
    return text
