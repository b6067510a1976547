"""Frozen snapshots of a machine: what views, plots and widgets are allowed to read.

Like the bitfields KMDF keeps "strictly for use by the debugger extension", a snapshot copies
the state a tool shows, so the display layer never reaches into live objects.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ObjectSnapshot:
    """One framework object as ``!wdfhandle`` would show it."""

    handle: str
    type_name: str
    address: int
    refcnt: int
    state: str
    parent: str | None
    depth: int
    description: str


@dataclass(frozen=True)
class BlockSnapshot:
    """One live pool block; *holds* names what is in it, when a framework object says so."""

    address: int
    size: int
    tag: str
    paged: bool
    owner: str
    holds: str = ""


@dataclass(frozen=True)
class TagSnapshot:
    """One row of ``!poolused``: per tag and pool."""

    tag: str
    paged: bool
    allocs: int
    frees: int
    bytes_in_use: int


@dataclass(frozen=True)
class MachineSnapshot:
    """The whole machine at one instant."""

    driver_name: str
    driver_tag: str
    verifier: bool
    state: str
    seconds: float
    irql: int
    objects: tuple[ObjectSnapshot, ...]
    blocks: tuple[BlockSnapshot, ...]
    tags: tuple[TagSnapshot, ...]
    log: tuple[str, ...]
    bugcheck: str | None

    def bytes_by_tag(self) -> dict[str, int]:
        """Bytes in use per tag, both pools together."""
        out: dict[str, int] = {}
        for row in self.tags:
            out[row.tag] = out.get(row.tag, 0) + row.bytes_in_use
        return out
