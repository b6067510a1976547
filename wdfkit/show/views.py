"""Text views in the style of the debugger: object tree, pool by tag, log, hex dump, bug check.

Each view is a pure function from a machine (through its snapshot) to a string, so a notebook
prints the same text on every run.  The layouts follow the tools driver developers use:
``!wdfkd.wdfdriverinfo`` / ``!wdfhandle`` for objects, ``!poolused`` for pool, the IFR log,
``db`` for bytes.
"""

from ..kernel.mdl import snapshot as mdl_snapshot
from ..kernel.pool import tag_text
from ..sim.snapshot import MachineSnapshot


def _snap(machine) -> MachineSnapshot:
    return machine if isinstance(machine, MachineSnapshot) else machine.snapshot()


def object_tree(machine) -> str:
    """Every live framework object under the driver, with reference count and state.

    Objects deleted but still referenced have left the tree; they are listed after it.
    """
    snap = _snap(machine)
    lines = [f"!wdfkd.wdfdriverinfo {snap.driver_name}   (pool tag '{snap.driver_tag}')"]
    for obj in snap.objects:
        indent = "    " * obj.depth
        state = obj.state.replace("FxObjectState", "")
        line = f"{indent}{obj.handle}  refs {obj.refcnt}  {state}"
        if obj.description:
            line += f"  [{obj.description}]"
        if obj.depth == 0 and obj.type_name != "WDFDRIVER":
            line = "(outside the tree) " + line
        lines.append(line)
    if not snap.objects:
        lines.append("(no framework objects)")
    return "\n".join(lines)


def pool_usage(machine, tags: list[str] | None = None) -> str:
    """Pool use by tag, like ``!poolused``: allocations, frees, and bytes still in use."""
    snap = _snap(machine)
    rows = [r for r in snap.tags if tags is None or r.tag in tags]
    lines = [
        " Tag  Pool        Allocs    Frees     Diff     Bytes",
    ]
    for r in rows:
        pool = "Paged" if r.paged else "NonPaged"
        diff = r.allocs - r.frees
        lines.append(f" {r.tag:4} {pool:9} {r.allocs:8} {r.frees:8} {diff:8} {r.bytes_in_use:9}")
    if not rows:
        lines.append(" (no allocations)")
    return "\n".join(lines)


def pool_blocks(machine, owner: str | None = None) -> str:
    """Every live pool block in address order: address, size, tag, pool, who allocated it."""
    snap = _snap(machine)
    lines = [" Address             Size      Tag  Pool      Owner"]
    for b in snap.blocks:
        if owner is not None and b.owner != owner:
            continue
        pool = "Paged" if b.paged else "NonPaged"
        lines.append(f" {b.address:016X}  {b.size:#8x}  {b.tag:4} {pool:9} {b.owner}")
    return "\n".join(lines)


def log(machine, last: int = 10) -> str:
    """The last *last* lines of the framework log, with virtual time and IRQL."""
    snap = _snap(machine)
    return "\n".join(snap.log[-last:])


def hexdump(pointer, length: int = 64) -> str:
    """Bytes at *pointer* in WinDbg's ``db`` layout (reads as the driver would: may fault)."""
    data = pointer.read(length)
    lines = []
    for row in range(0, length, 16):
        address = pointer.address + row
        chunk = data[row : row + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        if len(chunk) > 8:
            hexes = hexes[:23] + "-" + hexes[24:]
        text = "".join(chr(b) if 0x20 <= b <= 0x7E else "." for b in chunk)
        lines.append(f"{address >> 32:08x}`{address & 0xFFFFFFFF:08x}  {hexes:<47}  {text}")
    return "\n".join(lines)


def bugcheck(machine) -> str:
    """The blue screen of a stopped machine, or a line saying it is running."""
    snap = _snap(machine)
    return snap.bugcheck or f"(no bug check: the machine is {snap.state})"


def lookaside(machine) -> str:
    """Every kernel lookaside list the balance-set manager tunes, like ``!lookaside``.

    Reads the live lists (not a snapshot): Depth, MaximumDepth, allocations and misses (with the
    hit rate), frees and free misses, blocks held, block size, tag and pool type.
    """
    lines = []
    for lst in machine.balance.lists:
        hits = lst.TotalAllocates - lst.AllocateMisses
        rate = f"{100 * hits / lst.TotalAllocates:5.1f}%" if lst.TotalAllocates else "  n/a"
        pool = "Paged" if lst.paged else "NonPaged"
        lines += [
            f"Lookaside {lst.name}",
            f"    Type     = {lst.Type:04x} {pool}    Tag = '{tag_text(lst.Tag)}'    "
            f"Size = {lst.Size:#x}",
            f"    Depth    = {lst.Depth:8}    MaximumDepth = {lst.MaximumDepth:8}    "
            f"Held = {len(lst.held)}",
            f"    Allocs   = {lst.TotalAllocates:8}    Misses       = {lst.AllocateMisses:8}    "
            f"Hit rate = {rate}",
            f"    Frees    = {lst.TotalFrees:8}    FreeMisses   = {lst.FreeMisses:8}",
        ]
    return "\n".join(lines) if lines else "(no lookaside lists)"


def timeline(machine) -> str:
    """The lifetime history recorded with ``Machine(timeline=True)``, one event per line."""
    if machine.timeline is None:
        return "(no timeline: create the machine with Machine(timeline=True))"
    return machine.timeline.text()


def mdl(pmdl) -> str:
    """An MDL's header and PFN array, like ``dt nt!_MDL`` followed by the PFNs."""
    s = mdl_snapshot(pmdl)

    def va(value: int) -> str:
        return "(null)" if value == 0 else f"0x{value >> 32:08x}`{value & 0xFFFFFFFF:08x}"

    pfns = " ".join(f"{pfn:x}" for pfn in s.pfns)
    return "\n".join(
        [
            f"dt nt!_MDL {va(s.address)}",
            f"   +0x000 Next             : {va(s.next)}",
            f"   +0x008 Size             : 0x{s.size:x}",
            f"   +0x00a MdlFlags         : 0x{s.flags:x} ({s.flag_names})",
            f"   +0x018 MappedSystemVa   : {va(s.mapped_system_va)}",
            f"   +0x020 StartVa          : {va(s.start_va)}",
            f"   +0x028 ByteCount        : 0x{s.byte_count:x}",
            f"   +0x02c ByteOffset       : 0x{s.byte_offset:x}",
            f"   PFN array ({len(s.pfns)} page(s)) : {pfns}",
        ]
    )
