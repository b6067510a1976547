"""What a learner may type as an answer, and how the course reads it back.

A check-yourself problem says what *kind* of answer it wants; the kind reads every natural
form of it and shows it back the way a debugger would:

* :data:`COUNT` — a number of things (blocks, bytes, seconds): ``3``, ``"3"``, ``"0x3"``;
  shown in decimal.
* :data:`HEX` — an address, a size or a code read in hex: ``0x1F40``, ``8000``,
  ``"0x1F40"``, ``"1f40"``; shown ``0x1F40``.
* :data:`STATUS` — an NTSTATUS: ``0xC0000010``, the negative LONG C prints
  (``-1073741808``), ``"0xC0000010"``, ``"c0000010"``, ``"STATUS_INVALID_DEVICE_REQUEST"``
  or its echo ``"STATUS_INVALID_DEVICE_REQUEST (0xC0000010)"``; shown as wdfkit prints it.
* :class:`BugCheckKind` — a bug check and as many of its parameters as the problem asks:
  ``0x10D``, ``"WDF_VIOLATION"``, ``(0x10D, 5)``, ``[269, 5]``, ``"0x10D/0x5"``,
  ``"0x10D, 5"``, ``"(0x10D, 0x5)"``, even the ``BugCheck`` a run caught; shown
  ``0x10D WDF_VIOLATION, Arg1 0x5``.
* :class:`Choice` — one of a few named options, any case: ``"handle"``, ``"Handle"``.
* :class:`Several` — a tuple of the above: ``(3, 2)``, ``[3, 2]``, ``"3, 2"``, ``"(3, 2)"``.

:meth:`Kind.read` returns the canonical value (what the problem's solution is written in)
or raises :class:`NotUnderstood` with a sentence saying what was expected;
:meth:`Kind.diagnose` says what a wrong answer of that kind usually means when the
problem has no more specific diagnosis.  Nothing here runs the simulator: checking an
answer is instant.
"""

import ast
import re
import unicodedata

from ..kernel.bugcheck import BUGCHECK_NAMES, BugCheck
from ..kernel.ntstatus import NT_SUCCESS, NTSTATUS, status_named
from ..language import N_, _, both


class NotUnderstood(ValueError):
    """The answer is not of the kind the problem asks for (the message says which)."""


def _is_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_typed(answer) -> str:
    """The learner's answer as typed, cut to a line; an object of another type by its type."""
    if not isinstance(answer, (str, int, float, tuple, list)):
        return _("a {type}").format(type=type(answer).__name__)
    try:
        text = repr(answer)
    except ValueError:  # an int with more digits than Python converts to text
        return _("your answer (it holds a number too long to print)")
    except RecursionError:  # lists in lists, thousands deep
        return _("your answer (it is nested too deeply to print)")
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse_several(value, kind: "Kind") -> None:
    """Refuse several values where the problem asks for one, saying so."""
    if isinstance(value, (tuple, list)):
        raise NotUnderstood(
            _("{description}: this problem asks for one value, not {count}, e.g. {example}").format(
                description=kind.description, count=len(value), example=kind.example
            )
        )


def _as_int(value, hex_digits: bool = False) -> int:
    """An int from an int, an integral float, or a string in decimal or 0x-hex.

    With *hex_digits*, bare hex digits (``"1f40"``, as WinDbg prints numbers) are hex too.
    """
    if _is_number(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "").replace("`", "")
        try:
            return (
                int(text, 16)
                if hex_digits and re.fullmatch(r"[0-9a-fA-F]+", text)
                else int(text, 0)
            )
        except ValueError:
            pass
    raise NotUnderstood


_LITERAL_LIMIT = 400
"""The longest text read as a Python literal (``"((0x10D, 5), 3)"``): no answer is longer, and
Python's parser exhausts its stack on a few thousand nested brackets or signs."""


def half_width(answer):
    """*answer* with a Chinese input method's full-width forms made ASCII: ``"6，4"`` is
    ``"6,4"``, ``"（0x10D，5）"`` is ``"(0x10D,5)"``, ``"０x５０"`` is ``"0x50"`` (NFKC), and the
    enumeration comma ``、`` a comma.  Anything but a string is returned as it is."""
    if not isinstance(answer, str):
        return answer
    return unicodedata.normalize("NFKC", answer).replace("、", ",")


def _parts(value) -> list:
    """The parts of a several-part answer: a tuple or list, or a string ``"a, b"``,
    ``"(a, b)"``, ``"a/b"``."""
    if isinstance(value, (tuple, list)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "([" and len(text) <= _LITERAL_LIMIT:
            try:
                parsed = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                parsed = None
            if isinstance(parsed, (tuple, list)):
                return list(parsed)
            text = text[1:-1] if text[-1:] in ")]" else text[1:]
        return [part.strip() for part in re.split(r"[,/]", text) if part.strip()]
    return [value]


def _for_example(description: str, example: str) -> str:
    """What NotUnderstood says: *description* (translated), then an example."""
    return _("{description}, e.g. {example}").format(description=description, example=example)


class Kind:
    """One kind of answer: how it is read, shown, and what a wrong one usually means.

    Its :attr:`description` is words, in the learner's language when it is read (a subclass
    marks its own with ``N_`` in ``_description``); its :attr:`example` is what the learner
    types, the same in every language.
    """

    _description = N_("an answer")
    example = ""

    @property
    def description(self) -> str:
        """What this kind of answer is, in words: "a number"."""
        return _(self._description)

    def read(self, value):
        """The canonical form of *value*; NotUnderstood when it is not of this kind."""
        raise NotImplementedError

    def settle(self, value):
        """A solution (or a listed wrong answer) in the canonical form answers are compared in."""
        return self.read(value)

    def show(self, value) -> str:
        """*value* (canonical) as a debugger or the simulator prints it."""
        return repr(value)

    def same(self, answer, solution) -> bool:
        """Whether *answer* (canonical) is the *solution*."""
        return answer == solution

    def diagnose(self, answer, solution) -> str | None:
        """What a wrong *answer* usually means, for this kind; None when nothing general fits."""
        return None


class _Count(Kind):
    _description = N_("a number")
    example = "3"
    hex_digits = False
    """Whether bare hex digits (``1f40``, as WinDbg prints numbers) read as hex."""

    def read(self, value):
        _refuse_several(value, self)
        try:
            number = _as_int(value, self.hex_digits)
        except NotUnderstood:
            number = None
        if number is None or not -(2**127) <= number < 2**128:  # room for a sum that overflowed
            raise NotUnderstood(_for_example(_("a number"), self.example))
        return number

    def show(self, value) -> str:
        return str(value)

    def diagnose(self, answer, solution) -> str | None:
        if abs(answer - solution) == 1:
            return _("Close: one off.")
        return _("Too many.") if answer > solution else _("Too few.")


class _Hex(_Count):
    """An address, a size or a code: read with bare hex digits, shown in hex; no "too many"
    (an address is not a count)."""

    _description = N_("a number (hex is fine)")
    example = "0x1F40"
    hex_digits = True

    def show(self, value) -> str:
        return f"0x{value:X}" if value >= 0 else f"-0x{-value:X}"

    def diagnose(self, answer, solution) -> str | None:
        return _("Close: one off.") if abs(answer - solution) == 1 else None


class _Status(Kind):
    _description = N_("an NTSTATUS (its number or its name)")
    example = "0xC0000001"

    def read(self, value):
        _refuse_several(value, self)
        if _is_number(value) and -(2**31) <= value < 2**32:  # a LONG or a ULONG, as C has it
            return NTSTATUS(value)
        if isinstance(value, str):
            text = value.strip()
            name = text.split()[0].upper() if text else ""
            named = status_named(name)
            if named is not None:
                return named
            try:
                number = _as_int(text, hex_digits=True)
            except NotUnderstood:
                number = None
            if number is not None and -(2**31) <= number < 2**32:
                return NTSTATUS(number)
        raise NotUnderstood(
            _("an NTSTATUS, e.g. {example} or STATUS_UNSUCCESSFUL").format(example=self.example)
        )

    def show(self, value) -> str:
        status = NTSTATUS(value)
        return status.name if status.name.startswith("0x") else repr(status)

    def diagnose(self, answer, solution) -> str | None:
        if 0 < answer < 0x1000:
            return _(
                "0x{answer:X} looks like a bug-check code; the application gets an NTSTATUS "
                "(0xC… for an error)."
            ).format(answer=answer)
        if NT_SUCCESS(answer) and not NT_SUCCESS(solution):
            return _("It did not succeed: the request came back with an error status.")
        if NT_SUCCESS(solution) and not NT_SUCCESS(answer):
            return _("Nothing failed this time: the status is a success.")
        return None


class _Irql(Kind):
    _description = N_("an IRQL (its number or its name)")
    example = "APC_LEVEL"
    NAMES = {0: "PASSIVE_LEVEL", 1: "APC_LEVEL", 2: "DISPATCH_LEVEL"}

    def read(self, value):
        _refuse_several(value, self)
        if isinstance(value, str):
            word = (value.split() or [""])[0].upper()  # (the echo adds " (2)")
            for number, name in self.NAMES.items():
                if word in (name, name.removesuffix("_LEVEL")):
                    return number
        try:
            number = _as_int(value)
        except NotUnderstood:
            number = None
        if number is None or not 0 <= number <= 15:  # x64 IRQLs: PASSIVE_LEVEL to HIGH_LEVEL (15)
            raise NotUnderstood(
                _("{description}, e.g. {example} or 1").format(
                    description=self.description, example=self.example
                )
            )
        return number

    def show(self, value) -> str:
        name = self.NAMES.get(value)
        return f"{name} ({value})" if name else str(value)

    def diagnose(self, answer, solution) -> str | None:
        if solution == 2 and answer < 2:
            return _("A DPC runs at DISPATCH_LEVEL, and so does what it calls.")
        if solution == 0 and answer > 0:
            return _("Nothing raised the IRQL here: the caller's thread runs at PASSIVE_LEVEL.")
        return None


COUNT = _Count()
HEX = _Hex()
STATUS = _Status()
IRQL = _Irql()

_BUGCHECK_BY_NAME = {name: code for code, name in BUGCHECK_NAMES.items()}


class BugCheckKind(Kind):
    """A bug check: its code and the first *parameters* of its four (0 to 4).

    An answer may give more parameters than the problem asks for; those are not judged.
    """

    def __init__(self, parameters: int = 0) -> None:
        if parameters not in range(5):
            raise ValueError("BugCheckKind: parameters must be 0 to 4")
        self.parameters = parameters
        example = ["0xAB", "0x7", "0x0", "0x2", "0x1"][: 1 + parameters]
        self.example = example[0] if not parameters else "(" + ", ".join(example) + ")"

    _DESCRIPTIONS = (
        N_("a bug-check code"),
        N_("a bug-check code with its parameter 1"),
        N_("a bug-check code with its parameters 1 and 2"),
        N_("a bug-check code with its parameters 1 to 3"),
        N_("a bug-check code with all four parameters"),
    )

    @property
    def description(self) -> str:
        return _(self._DESCRIPTIONS[self.parameters])

    def read(self, value):
        if isinstance(value, BugCheck):
            return (value.code, *value.parameters)
        if isinstance(value, str) and not value.strip().startswith(("(", "[")):
            return self._read_text(value)
        parts = _parts(value)
        if parts and isinstance(parts[0], str) and parts[0].strip().upper() in _BUGCHECK_BY_NAME:
            parts[0] = _BUGCHECK_BY_NAME[parts[0].strip().upper()]
        try:
            if not parts:
                raise NotUnderstood
            numbers = tuple(_as_int(part, hex_digits=True) for part in parts)
        except NotUnderstood:
            raise NotUnderstood(_for_example(self.description, self.example)) from None
        return self._in_range(numbers)

    def _in_range(self, numbers: tuple) -> tuple:
        """*numbers* if they can be a bug check: a 32-bit code and at most four 64-bit
        parameters (KeBugCheckEx's BugCheckParameter1 to 4)."""
        code, *parameters = numbers
        if (
            not 0 < code < 2**32
            or len(parameters) > 4
            or not all(0 <= p < 2**64 for p in parameters)
        ):
            raise NotUnderstood(_for_example(self.description, self.example))
        return numbers

    def _read_text(self, text: str) -> tuple:
        """A bug check typed as text: ``"0x10D/0x5"``, ``"WDF_VIOLATION"``, or as wdfkit
        echoes it, ``"0x10D WDF_VIOLATION, Arg1 0x5"`` (names and ``ArgN`` labels skipped)."""
        words = re.sub(r"\bArg\d:?", " ", text).replace(",", " ").replace("/", " ").split()
        code, numbers = None, []
        for word in words:
            word = word.strip("()[]:")
            if word.upper() in _BUGCHECK_BY_NAME:
                code = _BUGCHECK_BY_NAME[word.upper()]
                continue
            try:
                numbers.append(_as_int(word, hex_digits=True))
            except NotUnderstood:
                raise NotUnderstood(_for_example(self.description, self.example)) from None
        if code is None and not numbers:
            raise NotUnderstood(_for_example(self.description, self.example))
        if code is not None and (not numbers or numbers[0] != code):
            numbers.insert(0, code)
        return self._in_range(tuple(numbers))

    def show(self, value) -> str:
        code, *parameters = value
        text = f"0x{code:X} {BUGCHECK_NAMES.get(code, 'BUGCHECK')}"
        for i, parameter in enumerate(parameters):
            text += f", Arg{i + 1} 0x{parameter:X}"
        return text

    def settle(self, value) -> tuple:
        """The code and the parameters the problem asks for (a listed wrong answer may give
        fewer: ``0x50`` then stands for 0x50 with any parameters)."""
        return self.read(value)[: 1 + self.parameters]

    def same(self, answer, solution) -> bool:
        if len(answer) < len(solution):
            return False
        return answer[: len(solution)] == solution

    def diagnose(self, answer, solution) -> str | None:
        code = answer[0]
        if code >= 0x40000000:
            return _(
                "0x{code:X} is an NTSTATUS, a value a call returns; a bug check stops the "
                "machine and has a small code (0x10D, 0xC4, 0x50 …)."
            ).format(code=code)
        if code == solution[0] and len(answer) < len(solution):
            if self.parameters > 1:
                return _("The code is right; give its parameters too: {example}.").format(
                    example=self.example
                )
            return _("The code is right; give its parameter too: {example}.").format(
                example=self.example
            )
        if code == solution[0]:
            return _(
                "The code is right, a parameter is not: for WDF_VIOLATION Arg1 names the rule "
                "broken (0x5 a bad handle, 0x6 a request error, 0x3 a verifier error), for "
                "0xC4 Arg1 names what Driver Verifier caught."
            )
        return None


class Choice(Kind):
    """One of *options*: ``{canonical: (other spellings, …)}``; any case, spaces trimmed.

    The spellings may be words of any language the course speaks: a Chinese learner may
    answer ``"安全"`` where ``"安全"`` is listed among ``"safe"``'s spellings; the answer is
    shown back as its canonical (English) name, as the problem's question names it.
    """

    def __init__(self, options: dict) -> None:
        self.options = options
        self.example = repr(next(iter(options)))
        self._lookup = {}
        for canonical, spellings in options.items():
            for spelling in (canonical, *spellings):
                self._lookup[self._key(spelling)] = canonical

    @property
    def description(self) -> str:
        return _("one of {options}").format(options=", ".join(repr(o) for o in self.options))

    @staticmethod
    def _key(text: str) -> str:
        """Any case, spaces and underscores alike, and quotes dropped (the echo is quoted)."""
        return " ".join(str(text).strip().strip("'\"").lower().replace("_", " ").split())

    def read(self, value):
        if isinstance(value, str) and self._key(value) in self._lookup:
            return self._lookup[self._key(value)]
        raise NotUnderstood(self.description)

    def show(self, value) -> str:
        return repr(value)


class Several(Kind):
    """A tuple of answers, one per kind in *kinds*."""

    def __init__(self, *kinds: Kind) -> None:
        self.kinds = kinds
        self.example = "(" + ", ".join(k.example for k in kinds) + ")"

    @property
    def description(self) -> str:
        return "(" + ", ".join(k.description for k in self.kinds) + ")"

    def read(self, value):
        parts = _parts(value)
        if len(parts) != len(self.kinds):
            raise NotUnderstood(
                _("{count} values, e.g. {example}").format(
                    count=len(self.kinds), example=self.example
                )
            )
        values = []
        for number, (kind, part) in enumerate(zip(self.kinds, parts, strict=True), 1):
            try:
                values.append(kind.read(part))
            except NotUnderstood as problem:
                raise NotUnderstood(
                    _("{description}: value {number}, {answer}, is not {wanted}").format(
                        description=self.description,
                        number=number,
                        answer=as_typed(part),
                        wanted=problem,
                    )
                ) from None
        return tuple(values)

    def settle(self, value):
        parts = _parts(value)
        if len(parts) != len(self.kinds):
            raise ValueError(f"Several.settle: {value!r} does not have {len(self.kinds)} parts")
        return tuple(kind.settle(part) for kind, part in zip(self.kinds, parts, strict=True))

    def show(self, value) -> str:
        return "(" + ", ".join(k.show(v) for k, v in zip(self.kinds, value, strict=True)) + ")"

    def same(self, answer, solution) -> bool:
        return all(k.same(a, s) for k, a, s in zip(self.kinds, answer, solution, strict=True))

    def diagnose(self, answer, solution) -> str | None:
        wrong = [
            i
            for i, (k, a, s) in enumerate(zip(self.kinds, answer, solution, strict=True))
            if not k.same(a, s)
        ]
        if len(wrong) == len(self.kinds):
            # compared as read: each kind's own `same` expects a value of its own kind
            if len(self.kinds) == 2 and tuple(answer) == tuple(reversed(solution)):
                return _("Both values are there, in the wrong order.")
            return None
        right = [_(_ORDINALS[i]) for i in range(len(self.kinds)) if i not in wrong]
        i = wrong[0]
        more = self.kinds[i].diagnose(answer[i], solution[i])
        text = (
            _("The {right} is right; the {wrong} is not.")
            if len(right) == 1
            else _("The {right} are right; the {wrong} is not.")
        ).format(right=both(right), wrong=_(_ORDINALS[i]))
        return f"{text} {more}" if more else text


_ORDINALS = (N_("first"), N_("second"), N_("third"), N_("fourth"), N_("fifth"))
# Which value of a several-part answer: "The first is right; the second is not."
