"""wdfcore.h: WDF_ALIGN_SIZE_UP and WDF_ALIGN_SIZE_DOWN.

Both are plain size_t arithmetic, so on x64 they wrap modulo 2**64.  DOWN clears the low bits;
UP adds ``AlignTo - 1`` first, which can wrap for a huge Length and give a result *smaller* than
Length: the caller must check for that.  AlignTo must be a power of two; like KMDF, wdfkit does
not check, and a non-power-of-two gives a meaningless mask.

Mirrors: wdfcore.h (KMDF 1.33): WDF_ALIGN_SIZE_DOWN, WDF_ALIGN_SIZE_UP.
"""

from ..kernel.pointer import SIZE_T_MAX
from ._entry import macro, size_t

__all__ = ["WDF_ALIGN_SIZE_DOWN", "WDF_ALIGN_SIZE_UP"]


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
