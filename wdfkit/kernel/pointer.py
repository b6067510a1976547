"""PVOID: a kernel address that behaves like a C pointer.

What a DDI hands back as ``PVOID`` is an address.  You can add an offset to it (``buffer + 8``),
subtract two of them, and read or write the bytes it points at; every access is checked as the
hardware would, so touching freed or unmapped memory gives the page-fault bug check.  ``None``
is NULL.

Mirrors: plain C pointer arithmetic on ``PUCHAR``.
Simplified: no pointer types; offsets are in bytes.
"""

SIZE_T_MAX = (1 << 64) - 1
"""MAXSIZE_T (basetsd.h) on x64: the largest SIZE_T, ULONG_PTR or address; also their mask."""


class PVOID:
    """An address in one machine's kernel address space."""

    __slots__ = ("address", "_machine")

    def __init__(self, address: int, machine) -> None:
        self.address = address & SIZE_T_MAX
        self._machine = machine

    def __add__(self, offset: int) -> "PVOID":
        if not isinstance(offset, int):
            return NotImplemented
        return PVOID(self.address + offset, self._machine)

    __radd__ = __add__

    def __sub__(self, other):
        if isinstance(other, PVOID):
            return self.address - other.address
        if isinstance(other, int):
            return PVOID(self.address - other, self._machine)
        return NotImplemented

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, PVOID)
            and other.address == self.address
            and other._machine is self._machine
        )

    def __lt__(self, other: "PVOID") -> bool:
        return self.address < other.address

    def __hash__(self) -> int:
        return hash(self.address)

    def __int__(self) -> int:
        return self.address

    __index__ = __int__

    def __repr__(self) -> str:
        return f"0x{self.address:016X}"

    def read(self, length: int) -> bytes:
        """The *length* bytes this pointer points at (faults as a real read would)."""
        if isinstance(length, bool) or not isinstance(length, int):
            raise TypeError(f"PVOID.read: length must be an int, not {type(length).__name__}")
        if length < 0:
            raise ValueError(f"PVOID.read: length must be ≥ 0, got {length}")
        self._machine.check_running("PVOID.read")
        return self._machine.access(lambda: self._machine.pool.read(self.address, length))

    def write(self, data: bytes) -> None:
        """Store *data* (bytes, bytearray or memoryview) where this pointer points (faults as a
        real write would).  An int is refused: ``bytes(65)`` would be 65 zero bytes."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(
                f"PVOID.write: data must be bytes, bytearray or memoryview, "
                f"not {type(data).__name__} (for one byte 0x41 write bytes([0x41]))"
            )
        self._machine.check_running("PVOID.write")
        self._machine.access(lambda: self._machine.pool.write(self.address, bytes(data)))
