"""wdfcore.h: timeouts in 100 ns units, WDF_ALIGN_SIZE_UP and WDF_ALIGN_SIZE_DOWN.

A timeout (WdfTimerStart's DueTime, WDF_REQUEST_SEND_OPTIONS.Timeout, …) is a LONGLONG count of
100 ns: negative means relative to now, positive an absolute system time.  The six
``WDF_REL_TIMEOUT_IN_…`` / ``WDF_ABS_TIMEOUT_IN_…`` inlines multiply an unsigned count of
seconds, milliseconds or microseconds by 10,000,000, 10,000 or 10 (and by -1 for a relative
one).  C would wrap a product that does not fit a LONGLONG silently; wdfkit says so instead.

Both are plain size_t arithmetic, so on x64 they wrap modulo 2**64.  DOWN clears the low bits;
UP adds ``AlignTo - 1`` first, which can wrap for a huge Length and give a result *smaller* than
Length: the caller must check for that.  AlignTo must be a power of two; like KMDF, wdfkit does
not check, and a non-power-of-two gives a meaningless mask.

Mirrors: wdfcore.h (KMDF 1.33): WDF_TIMEOUT_TO_SEC/MS/US, WDF_REL_TIMEOUT_IN_SEC/MS/US,
WDF_ABS_TIMEOUT_IN_SEC/MS/US, WDF_ALIGN_SIZE_DOWN, WDF_ALIGN_SIZE_UP.
"""

from ..fx.call import named
from ..kernel.pointer import SIZE_T_MAX
from ._entry import macro, size_t

__all__ = [
    "WDF_ABS_TIMEOUT_IN_MS",
    "WDF_ABS_TIMEOUT_IN_SEC",
    "WDF_ABS_TIMEOUT_IN_US",
    "WDF_ALIGN_SIZE_DOWN",
    "WDF_ALIGN_SIZE_UP",
    "WDF_REL_TIMEOUT_IN_MS",
    "WDF_REL_TIMEOUT_IN_SEC",
    "WDF_REL_TIMEOUT_IN_US",
    "WDF_TIMEOUT_TO_MS",
    "WDF_TIMEOUT_TO_SEC",
    "WDF_TIMEOUT_TO_US",
]

WDF_TIMEOUT_TO_SEC = 10 * 1000 * 1000
WDF_TIMEOUT_TO_MS = 10 * 1000
WDF_TIMEOUT_TO_US = 10


def _timeout(Time, ticks_per_unit: int, sign: int) -> int:
    """``Time * sign * ticks_per_unit`` with Time a ULONGLONG, returned as a LONGLONG."""
    if isinstance(Time, bool) or not isinstance(Time, int):
        raise TypeError(named(f"Time must be an int, not {type(Time).__name__}"))
    if Time < 0:
        raise ValueError(named(f"Time must be ≥ 0 (it is unsigned in C), got {Time}"))
    limit = 1 << 63 if sign < 0 else (1 << 63) - 1
    if Time * ticks_per_unit > limit:
        raise ValueError(named(f"Time {Time} is too long: the timeout must fit a LONGLONG"))
    return sign * Time * ticks_per_unit


@macro
def WDF_REL_TIMEOUT_IN_SEC(Time: int) -> int:
    """A relative timeout of *Time* seconds, in 100 ns units (negative: relative)."""
    return _timeout(Time, WDF_TIMEOUT_TO_SEC, -1)


@macro
def WDF_REL_TIMEOUT_IN_MS(Time: int) -> int:
    """A relative timeout of *Time* milliseconds, in 100 ns units (negative: relative)."""
    return _timeout(Time, WDF_TIMEOUT_TO_MS, -1)


@macro
def WDF_REL_TIMEOUT_IN_US(Time: int) -> int:
    """A relative timeout of *Time* microseconds, in 100 ns units (negative: relative).

    >>> WDF_REL_TIMEOUT_IN_US(250)
    -2500
    """
    return _timeout(Time, WDF_TIMEOUT_TO_US, -1)


@macro
def WDF_ABS_TIMEOUT_IN_SEC(Time: int) -> int:
    """An absolute time *Time* seconds after the system time's origin, in 100 ns units.
    (On Windows that origin is 1 January 1601; a wdfkit machine's system time starts at boot.)"""
    return _timeout(Time, WDF_TIMEOUT_TO_SEC, 1)


@macro
def WDF_ABS_TIMEOUT_IN_MS(Time: int) -> int:
    """An absolute time of *Time* milliseconds, in 100 ns units (see WDF_ABS_TIMEOUT_IN_SEC)."""
    return _timeout(Time, WDF_TIMEOUT_TO_MS, 1)


@macro
def WDF_ABS_TIMEOUT_IN_US(Time: int) -> int:
    """An absolute time of *Time* microseconds, in 100 ns units (see WDF_ABS_TIMEOUT_IN_SEC)."""
    return _timeout(Time, WDF_TIMEOUT_TO_US, 1)


@macro
def WDF_ALIGN_SIZE_DOWN(Length: int, AlignTo: int) -> int:
    """``Length & ~(AlignTo - 1)`` on 64-bit size_t.

    >>> WDF_ALIGN_SIZE_DOWN(100, 16)
    96
    """
    length = size_t("Length", Length)
    align = size_t("AlignTo", AlignTo)
    return length & ~((align - 1) & SIZE_T_MAX) & SIZE_T_MAX


@macro
def WDF_ALIGN_SIZE_UP(Length: int, AlignTo: int) -> int:
    """``WDF_ALIGN_SIZE_DOWN(Length + AlignTo - 1, AlignTo)`` on 64-bit size_t (it can wrap).

    >>> WDF_ALIGN_SIZE_UP(100, 16)
    112
    >>> WDF_ALIGN_SIZE_UP(2**64 - 1, 4)   # wrapped: smaller than Length, so check!
    0
    """
    length = size_t("Length", Length)
    align = size_t("AlignTo", AlignTo)
    return WDF_ALIGN_SIZE_DOWN((length + align - 1) & SIZE_T_MAX, align)
