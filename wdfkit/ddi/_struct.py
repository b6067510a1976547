"""Typed fields for the framework's structures: a wrong value is refused where it is written.

In C, ``attrs.ContextTypeInfo = 5`` or ``options.Timeout = "1s"`` does not compile, and a
negative number cannot be stored in a ``size_t``.  Python would keep either and fail much later
with an error that names nothing.  :func:`fields` gives a structure's dataclass a
``__setattr__`` that checks each field as it is set (by the struct's own constructor, an
``…_INIT`` macro or the learner), and refuses a name the C structure does not have.

The message names what was running and the field: inside a DDI or macro,
``"WDF_MEMORY_DESCRIPTOR_INIT_BUFFER: WDF_MEMORY_DESCRIPTOR_BUFFER_TYPE.Buffer must …"``;
outside, ``"WDF_REQUEST_SEND_OPTIONS: Timeout must …"``.

Only the representable range is checked here (what the C type can hold).  What KMDF checks
about the values (a Size it knows, a flag it knows, offsets inside the buffer) stays in the DDI
that reads the structure, with KMDF's status.
"""

from ..fx.call import OUTSIDE_ANY_DDI, call
from ..fx.handles import WDFHANDLE
from ..kernel.mdl import PMDL
from ..kernel.pointer import PVOID, SIZE_T_MAX
from ._entry import ULONG_MAX

LONG_MIN, LONG_MAX = -(1 << 31), (1 << 31) - 1
LONGLONG_MIN, LONGLONG_MAX = -(1 << 63), (1 << 63) - 1


def _where(struct: str, name: str) -> str:
    """``"DDI: STRUCT.Field"`` inside a DDI or macro, else ``"STRUCT: Field"``."""
    if call.ddi == OUTSIDE_ANY_DDI:
        return f"{struct}: {name}"
    return f"{call.ddi}: {struct}.{name}"


def _integer(kind: str, low: int, high: int):
    def check(struct: str, name: str, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{_where(struct, name)} must be an int ({kind}), not {type(value).__name__}"
            )
        if not low <= value <= high:
            raise ValueError(
                f"{_where(struct, name)} must fit a {kind} ({low:#x}..{high:#x}), got {value}"
            )
        return value

    return check


size_t = _integer("size_t", 0, SIZE_T_MAX)
ULONG = _integer("ULONG", 0, ULONG_MAX)
LONG = _integer("LONG", LONG_MIN, LONG_MAX)
LONGLONG = _integer("LONGLONG", LONGLONG_MIN, LONGLONG_MAX)
ENUM = _integer("enum", 0, ULONG_MAX)  # a C enum is an int; KMDF checks the value itself
UCHAR = _integer("UCHAR", 0, 0xFF)
USHORT = _integer("USHORT", 0, 0xFFFF)
NTSTATUS_FIELD = _integer("NTSTATUS", LONG_MIN, ULONG_MAX)  # signed in C; wdfkit's are unsigned


def BOOLEAN(struct: str, name: str, value):
    """TRUE/FALSE (a Python bool), or the UCHAR C stores them in."""
    if isinstance(value, bool):
        return value
    return UCHAR(struct, name, value)


def callback(struct: str, name: str, value):
    """An Evt… callback: a function, or None (NULL: no callback)."""
    if value is not None and not callable(value):
        raise TypeError(
            f"{_where(struct, name)} must be a function (the callback) or None, "
            f"not {type(value).__name__}"
        )
    return value


def anything(struct: str, name: str, value):
    """A field wdfkit does not read (or reads as an opaque pointer): kept as given."""
    return value


def class_or_none(struct: str, name: str, value):
    """The Python class that stands for a C structure type (a context type), or None."""
    if value is not None and not isinstance(value, type):
        raise TypeError(
            f"{_where(struct, name)} must be a class or None, not {type(value).__name__}"
        )
    return value


def pointer_to(cls, what: str | None = None, hint: str = ""):
    """A pointer to a *cls* (named *what* in the message), or None (NULL); *hint* says where a
    learner gets one."""
    what = what or cls.__name__

    def check(struct: str, name: str, value):
        if value is not None and not isinstance(value, cls):
            raise TypeError(
                f"{_where(struct, name)} must be a {what} or None, not {type(value).__name__}"
                + hint
            )
        return value

    return check


pvoid = pointer_to(
    PVOID,
    hint=": a driver names kernel memory by address; get one from ExAllocatePoolWithTag, "
    "or from WdfMemoryGetBuffer for a WDFMEMORY",
)
handle = pointer_to(WDFHANDLE, "WDF handle")  # WDFOBJECT, WDFMEMORY, …
pmdl = pointer_to(PMDL)  # from IoAllocateMdl, WdfRequestRetrieveOutputWdmMdl, …
string = pointer_to(str)  # C: a PCWSTR or UNICODE_STRING


def embedded(cls):
    """A structure embedded by value (a union member): exactly a *cls*."""

    def check(struct: str, name: str, value):
        if not isinstance(value, cls):
            raise TypeError(f"{_where(struct, name)} must be a {cls.__name__}")
        return value

    return check


def struct_arg(param: str, value, cls, null_ok: bool = False):
    """A structure argument of the running DDI or macro: exactly a *cls* (or None if allowed)."""
    if value is None and null_ok:
        return value
    if not isinstance(value, cls):
        raise TypeError(
            f"{call.ddi}: {param} must be a {cls.__name__}"
            f"{' or None' if null_ok else ''}, not {type(value).__name__}"
            f" (make one with {cls.__name__}())"
        )
    return value


def fields(**checks):
    """Class decorator (put above ``@dataclass``): check each field as it is set.

    Every field of the dataclass must be given a check, so a new field cannot be forgotten.
    """

    def decorate(cls):
        names = set(cls.__dataclass_fields__)
        if names != set(checks):
            raise AssertionError(f"{cls.__name__}: checks for {sorted(names ^ set(checks))}")
        struct = cls.__name__
        known = ", ".join(cls.__dataclass_fields__)

        def __setattr__(self, name, value):
            check = checks.get(name)
            if check is None:
                where = struct if call.ddi == OUTSIDE_ANY_DDI else f"{call.ddi}: {struct}"
                raise TypeError(f"{where}: no field {name!r} in C (its fields: {known})")
            object.__setattr__(self, name, check(struct, name, value))

        cls.__setattr__ = __setattr__
        return cls

    return decorate
