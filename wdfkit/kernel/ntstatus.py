"""NTSTATUS values, as the kernel and KMDF return them.

Every status is a 32-bit value whose two top bits give its severity: 0x0… success,
0x4… informational, 0x8… warning, 0xC… error.  ``NT_SUCCESS`` is true for the first two;
``NT_INFORMATION``, ``NT_WARNING`` and ``NT_ERROR`` test for one severity each.
wdfkit returns statuses as :class:`NTSTATUS`, an ``int`` that prints its name, so a
learner sees ``STATUS_INVALID_PARAMETER (0xC000000D)`` rather than ``3221225485``.

Mirrors: ntstatus.h (values checked against WINE's copy) and KMDF's wdfstatus.h.
Simplified: only the statuses the lessons meet are named; any other value prints in hex.
"""

_NAMES: dict[int, str] = {}


class NTSTATUS(int):
    """A status code: compares equal to its number, prints as ``NAME (0xXXXXXXXX)``."""

    __slots__ = ()

    def __new__(cls, value: int) -> "NTSTATUS":
        """*value* as a 32-bit status (a negative LONG is taken as C casts it)."""
        try:
            return super().__new__(cls, value & 0xFFFFFFFF)
        except TypeError:
            raise _not_a_status("NTSTATUS", value) from None

    @property
    def name(self) -> str:
        """The symbolic name, or the hex value when the status has none."""
        return _NAMES.get(int(self), f"0x{int(self):08X}")

    def __repr__(self) -> str:
        return f"{self.name} (0x{int(self):08X})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self) if not spec else format(int(self), spec)


def _status(name: str, value: int) -> NTSTATUS:
    _NAMES[value] = name
    return NTSTATUS(value)


def status_named(name: str) -> NTSTATUS | None:
    """The status called *name* (``"STATUS_CANCELLED"``); None for a name wdfkit lacks."""
    for value, known in _NAMES.items():
        if known == name:
            return NTSTATUS(value)
    return None


def _not_a_status(macro: str, value) -> TypeError:
    return TypeError(f"{macro}: Status must be an NTSTATUS (an int), not {type(value).__name__}")


def _severity(macro: str, status) -> int:
    try:
        return (status & 0xFFFFFFFF) >> 30
    except TypeError:
        raise _not_a_status(macro, status) from None


def NT_SUCCESS(status: int) -> bool:
    """True when *status* is a success or informational value (signed value ≥ 0)."""
    try:
        return (status & 0xFFFFFFFF) < 0x80000000
    except TypeError:  # a str, None, a float: C would not compile it
        raise _not_a_status("NT_SUCCESS", status) from None


def NT_INFORMATION(status: int) -> bool:
    """True when *status* has informational severity (0x4…), as ntdef.h's macro (``>> 30 == 1``)."""
    return _severity("NT_INFORMATION", status) == 1


def NT_WARNING(status: int) -> bool:
    """True when *status* has warning severity (0x8…), as ntdef.h's macro (``>> 30 == 2``).

    A warning is not a success (``NT_SUCCESS`` is false) and not an error: the I/O manager
    still copies a buffered request's data back (see wdfkit.kernel.irp)."""
    return _severity("NT_WARNING", status) == 2


def NT_ERROR(status: int) -> bool:
    """True when *status* has error severity (0xC…), as ntdef.h's macro (``>> 30 == 3``)."""
    return _severity("NT_ERROR", status) == 3


STATUS_SUCCESS = _status("STATUS_SUCCESS", 0x00000000)
STATUS_TIMEOUT = _status("STATUS_TIMEOUT", 0x00000102)
STATUS_PENDING = _status("STATUS_PENDING", 0x00000103)
STATUS_OBJECT_NAME_EXISTS = _status("STATUS_OBJECT_NAME_EXISTS", 0x40000000)
STATUS_WDF_QUEUED = _status("STATUS_WDF_QUEUED", 0x40200000)
STATUS_BUFFER_OVERFLOW = _status("STATUS_BUFFER_OVERFLOW", 0x80000005)
STATUS_VERIFY_REQUIRED = _status("STATUS_VERIFY_REQUIRED", 0x80000016)
STATUS_NO_MORE_ENTRIES = _status("STATUS_NO_MORE_ENTRIES", 0x8000001A)
STATUS_DEVICE_BUSY = _status("STATUS_DEVICE_BUSY", 0x80000011)
STATUS_UNSUCCESSFUL = _status("STATUS_UNSUCCESSFUL", 0xC0000001)
STATUS_INFO_LENGTH_MISMATCH = _status("STATUS_INFO_LENGTH_MISMATCH", 0xC0000004)
STATUS_ACCESS_VIOLATION = _status("STATUS_ACCESS_VIOLATION", 0xC0000005)
STATUS_INVALID_HANDLE = _status("STATUS_INVALID_HANDLE", 0xC0000008)
STATUS_INVALID_PARAMETER = _status("STATUS_INVALID_PARAMETER", 0xC000000D)
STATUS_NO_SUCH_DEVICE = _status("STATUS_NO_SUCH_DEVICE", 0xC000000E)
STATUS_INVALID_DEVICE_REQUEST = _status("STATUS_INVALID_DEVICE_REQUEST", 0xC0000010)
STATUS_MORE_PROCESSING_REQUIRED = _status("STATUS_MORE_PROCESSING_REQUIRED", 0xC0000016)
STATUS_ACCESS_DENIED = _status("STATUS_ACCESS_DENIED", 0xC0000022)
STATUS_BUFFER_TOO_SMALL = _status("STATUS_BUFFER_TOO_SMALL", 0xC0000023)
STATUS_OBJECT_NAME_INVALID = _status("STATUS_OBJECT_NAME_INVALID", 0xC0000033)
STATUS_OBJECT_NAME_NOT_FOUND = _status("STATUS_OBJECT_NAME_NOT_FOUND", 0xC0000034)
STATUS_OBJECT_NAME_COLLISION = _status("STATUS_OBJECT_NAME_COLLISION", 0xC0000035)
STATUS_OBJECT_PATH_INVALID = _status("STATUS_OBJECT_PATH_INVALID", 0xC0000039)
STATUS_OBJECT_PATH_NOT_FOUND = _status("STATUS_OBJECT_PATH_NOT_FOUND", 0xC000003A)
STATUS_DELETE_PENDING = _status("STATUS_DELETE_PENDING", 0xC0000056)
STATUS_INTEGER_OVERFLOW = _status("STATUS_INTEGER_OVERFLOW", 0xC0000095)
STATUS_INSUFFICIENT_RESOURCES = _status("STATUS_INSUFFICIENT_RESOURCES", 0xC000009A)
STATUS_IO_TIMEOUT = _status("STATUS_IO_TIMEOUT", 0xC00000B5)
STATUS_NOT_SUPPORTED = _status("STATUS_NOT_SUPPORTED", 0xC00000BB)
STATUS_REQUEST_NOT_ACCEPTED = _status("STATUS_REQUEST_NOT_ACCEPTED", 0xC00000D0)
STATUS_INTERNAL_ERROR = _status("STATUS_INTERNAL_ERROR", 0xC00000E5)
STATUS_INVALID_USER_BUFFER = _status("STATUS_INVALID_USER_BUFFER", 0xC00000E8)
STATUS_CANCELLED = _status("STATUS_CANCELLED", 0xC0000120)
STATUS_CANNOT_DELETE = _status("STATUS_CANNOT_DELETE", 0xC0000121)
STATUS_IO_DEVICE_ERROR = _status("STATUS_IO_DEVICE_ERROR", 0xC0000185)
STATUS_INVALID_DEVICE_STATE = _status("STATUS_INVALID_DEVICE_STATE", 0xC0000184)
STATUS_DRIVER_INTERNAL_ERROR = _status("STATUS_DRIVER_INTERNAL_ERROR", 0xC0000183)
STATUS_INVALID_BUFFER_SIZE = _status("STATUS_INVALID_BUFFER_SIZE", 0xC0000206)
STATUS_NOT_FOUND = _status("STATUS_NOT_FOUND", 0xC0000225)
STATUS_DEVICE_REMOVED = _status("STATUS_DEVICE_REMOVED", 0xC00002B6)
STATUS_WDF_INTERNAL_ERROR = _status("STATUS_WDF_INTERNAL_ERROR", 0xC0200201)
STATUS_WDF_PAUSED = _status("STATUS_WDF_PAUSED", 0xC0200203)
STATUS_WDF_BUSY = _status("STATUS_WDF_BUSY", 0xC0200204)
STATUS_WDF_REQUEST_INVALID_STATE = _status("STATUS_WDF_REQUEST_INVALID_STATE", 0xC0200208)
STATUS_WDF_OBJECT_ATTRIBUTES_INVALID = _status("STATUS_WDF_OBJECT_ATTRIBUTES_INVALID", 0xC0200209)
STATUS_WDF_TOO_FRAGMENTED = _status("STATUS_WDF_TOO_FRAGMENTED", 0xC020020A)
STATUS_WDF_NO_CALLBACK = _status("STATUS_WDF_NO_CALLBACK", 0xC020020B)
STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL = _status(
    "STATUS_WDF_INCOMPATIBLE_EXECUTION_LEVEL", 0xC020020C
)
STATUS_WDF_PARENT_ALREADY_ASSIGNED = _status("STATUS_WDF_PARENT_ALREADY_ASSIGNED", 0xC020020D)
STATUS_WDF_PARENT_IS_SELF = _status("STATUS_WDF_PARENT_IS_SELF", 0xC020020E)
STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED = _status(
    "STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED", 0xC020020F
)
STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID = _status(
    "STATUS_WDF_SYNCHRONIZATION_SCOPE_INVALID", 0xC0200210
)
STATUS_WDF_EXECUTION_LEVEL_INVALID = _status("STATUS_WDF_EXECUTION_LEVEL_INVALID", 0xC0200211)
STATUS_WDF_PARENT_NOT_SPECIFIED = _status("STATUS_WDF_PARENT_NOT_SPECIFIED", 0xC0200212)
STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS = _status("STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS", 0xC0200214)
