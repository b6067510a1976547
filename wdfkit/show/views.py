"""Text views in the style of the debugger: object tree, pool by tag, log, hex dump, bug check.

Each view is a pure function from a machine (through its snapshot) to a string, so a notebook
prints the same text on every run.  The layouts follow the tools driver developers use:
``!wdfkd.wdfdriverinfo`` / ``!wdfhandle`` for objects, ``!poolused`` for pool, the IFR log,
``db`` for bytes.
"""

from ..kernel.irp import MAJOR_NAMES
from ..kernel.mdl import PMDL
from ..kernel.mdl import snapshot as mdl_snapshot
from ..kernel.pointer import PVOID
from ..kernel.text import WIDTH, fill
from ..sim.machine import LOG_SIZE_MAX, Machine
from ..sim.snapshot import (
    DeviceDetail,
    DmaEnablerDetail,
    DmaTransactionDetail,
    DriverDetail,
    IoTargetDetail,
    LookasideDetail,
    MachineSnapshot,
    MdlSnapshot,
    MemoryDetail,
    MemoryKind,
    ObjectDetail,
    QueueDetail,
    RequestDetail,
    RequestMemoryDetail,
    TimerDetail,
)
from ..sim.timeline import short

HEXDUMP_MAX = 0x10000
"""The most bytes views.hexdump shows."""


def _snap(machine, view: str) -> MachineSnapshot:
    """The snapshot to show: *machine* itself when it is one, else a new one of it.

    Anything else is a TypeError naming the view (``views.log: machine must be …``)."""
    if isinstance(machine, MachineSnapshot):
        return machine
    if not isinstance(machine, Machine):
        raise TypeError(
            f"views.{view}: machine must be a Machine or a snapshot of one, "
            f"not {type(machine).__name__}"
        )
    return machine.snapshot()


def _count(view: str, param: str, value, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"views.{view}: {param} must be an int, not {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise ValueError(f"views.{view}: {param} must be from 0 to {maximum:#x}, got {value}")
    return value


def _handle(type_name: str, value: int) -> str:
    """A handle as the debugger prints it: ``WDFMEMORY 0x00003d75bffff9b8``."""
    return f"{type_name} 0x{value:016x}"


def _major(major: int | None) -> str:
    if major is None:
        return "not formatted"
    return MAJOR_NAMES.get(major, f"IRP_MJ_{major:#x}")


def _describe(detail: ObjectDetail) -> str:
    """A few words for the object tree on what an object holds (its kind's detail)."""
    match detail:
        case DriverDetail(name):
            return f"driver '{name}'"
        case DeviceDetail(io_type, control, name, removed):
            kind = "control device" if control else "device"
            named = f" {name}" if name else ""
            gone = ", being removed" if removed else ""
            return f"{kind}{named}, {io_type.name.lower()} I/O for reads and writes{gone}"
        case QueueDetail(dispatch, default, presented):
            kind = f"{'default ' if default else ''}queue, {dispatch.name.lower()}"
            return f"{kind}, {presented} request(s) with the driver"
        case RequestDetail(from_queue, major, irp_refs):
            origin = "from the queue" if from_queue else "created by the driver"
            return f"request {origin}, {_major(major)}, {irp_refs} IRP reference(s)"
        case RequestMemoryDetail(which, buffer, size, read_only):
            where = "no buffer" if buffer is None else f"0x{buffer:016X}"
            access = ", read-only" if read_only else ""
            return f"{which.value} buffer {where} ({size:#x} bytes{access})"
        case MemoryDetail(kind, owns_buffer, buffer, size, tag, lookaside):
            owner = "owns" if owns_buffer else "points at"
            text = f"{kind.value}, {owner} buffer 0x{buffer:016X} ({size:#x} bytes)"
            if kind is MemoryKind.POOL:  # (the buffer's own block carries the caller's tag)
                text += f", tag '{tag}'"
            if lookaside is not None:
                text += f", from {_handle('WDFLOOKASIDE', lookaside)}"
            return text
        case LookasideDetail(shape, buffer_size, tag, kernel_lists):
            return (
                f"{shape.value}, {buffer_size:#x}-byte buffers, tag '{tag}', "
                f"{kernel_lists} kernel list(s)"
            )
        case IoTargetDetail(remote, state, sends_to):
            kind = "remote" if remote else "default"
            return f"{kind} I/O target, {state.name}, sends to {sends_to or 'nothing'}"
        case DmaEnablerDetail(scatter_gather, maximum_length, chained_mdls):
            kind = "scatter/gather" if scatter_gather else "packet"
            chained = "chained MDLs" if chained_mdls else "no chained MDLs"
            return f"{kind} DMA, transfers up to {maximum_length:#x} bytes, {chained}"
        case DmaTransactionDetail(state, transferred, length):
            return (
                f"DMA transaction, {state.name}, {transferred:#x} of {length:#x} bytes transferred"
            )
        case TimerDetail(period_ms, passive, is_set, due, fired):
            kind = f"periodic timer, every {period_ms} ms" if period_ms else "one-shot timer"
            level = "PASSIVE_LEVEL" if passive else "DISPATCH_LEVEL"
            when = f"due at {due:.6f} s" if is_set else "not set"
            return f"{kind} at {level}, {when}, expired {fired} time(s)"
    raise TypeError(f"object_tree: no words for {detail!r}")


def object_tree(machine) -> str:
    """Every live framework object under the driver, with reference count and state.

    Objects with no parent (a request the framework presents) and objects deleted but still
    referenced are outside the tree; they are listed after it.  A request's input or output
    memory is listed under the request as ``embedded``: it is part of the request object, with
    no count or state of its own (references on it count as the request's IRP references).
    """
    snap = _snap(machine, "object_tree")
    lines = [f"!wdfkd.wdfdriverinfo {snap.driver_name}   (pool tag '{snap.driver_tag}')"]
    for obj in snap.objects:
        indent = "    " * obj.depth
        handle = _handle(obj.type_name, obj.handle)
        if obj.refcnt is None:
            line = f"{indent}{handle}  embedded"
        else:
            line = f"{indent}{handle}  refs {obj.refcnt}  {obj.state.name}"
        if obj.depth == 0 and obj.type_name != "WDFDRIVER":
            line = "(outside the tree) " + line
        if obj.detail is not None:
            detail = f"[{_describe(obj.detail)}]"
            if len(line) + 2 + len(detail) <= WIDTH:
                line += f"  {detail}"
            else:  # too wide for a notebook cell: the details go on the lines below
                line += "\n" + fill(detail, indent + "    ", indent + "     ")
        lines.append(line)
    if not snap.objects:
        lines.append("(no framework objects)")
    return "\n".join(lines)


def pool_usage(machine, tags: list[str] | None = None) -> str:
    """Pool use by tag, like ``!poolused``: allocations, frees, and bytes still in use.

    *tags*, if given, is a list of tags to show (one tag as a str is a list of one)."""
    snap = _snap(machine, "pool_usage")
    if isinstance(tags, str):
        tags = [tags]
    elif tags is not None and (
        not isinstance(tags, (list, tuple, set, frozenset))
        or not all(isinstance(tag, str) for tag in tags)
    ):
        raise TypeError("views.pool_usage: tags must be a list of tags (str) or None")
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
    snap = _snap(machine, "pool_blocks")
    if owner is not None and not isinstance(owner, str):
        raise TypeError(
            f"views.pool_blocks: owner must be a str or None, not {type(owner).__name__}"
        )
    lines = [" Address             Size      Tag  Pool      Owner"]
    for b in snap.blocks:
        if owner is not None and b.owner != owner:
            continue
        pool = "Paged" if b.paged else "NonPaged"
        lines.append(f" {b.address:016X}  {b.size:#8x}  {b.tag:4} {pool:9} {b.owner}")
    return "\n".join(lines)


def log(machine, last: int = 10) -> str:
    """The last *last* lines of the framework log, with virtual time and IRQL (0: none)."""
    entries = _snap(machine, "log").log
    entries = entries[max(0, len(entries) - _count("log", "last", last, LOG_SIZE_MAX)) :]
    return "\n".join(
        fill(f"[{entry.seconds:10.6f}s IRQL {entry.irql}] {entry.message}", "", " " * 21)
        for entry in entries
    )


def hexdump(pointer, length: int = 64) -> str:
    """Bytes at *pointer* in WinDbg's ``db`` layout (reads as the driver would: may fault).

    At most HEXDUMP_MAX bytes: a longer dump is not something to read."""
    if not isinstance(pointer, PVOID):
        raise TypeError(
            f"views.hexdump: pointer must be a PVOID (None is NULL: nothing to dump), "
            f"not {type(pointer).__name__}"
        )
    data = pointer.read(_count("hexdump", "length", length, HEXDUMP_MAX))
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
    snap = _snap(machine, "bugcheck")
    return snap.bugcheck or f"(no bug check: the machine is {snap.state.value})"


def lookaside(machine) -> str:
    """Every kernel lookaside list the balance-set manager tunes, like ``!lookaside``.

    Depth, MaximumDepth, allocations and misses (with the hit rate), frees and free misses,
    blocks held, block size, tag and pool type.
    """
    lines = []
    for lst in _snap(machine, "lookaside").balance.lists:
        hits = lst.total_allocates - lst.allocate_misses
        rate = f"{100 * hits / lst.total_allocates:5.1f}%" if lst.total_allocates else "  n/a"
        pool = "Paged" if lst.paged else "NonPaged"
        lines += [
            f"Lookaside {lst.name}",
            f"    Type     = {lst.pool_type:04x} {pool}    Tag = '{lst.tag}'    "
            f"Size = {lst.size:#x}",
            f"    Depth    = {lst.depth:8}    MaximumDepth = {lst.maximum_depth:8}    "
            f"Held = {lst.held}",
            f"    Allocs   = {lst.total_allocates:8}    Misses       = {lst.allocate_misses:8}    "
            f"Hit rate = {rate}",
            f"    Frees    = {lst.total_frees:8}    FreeMisses   = {lst.free_misses:8}",
        ]
    return "\n".join(lines) if lines else "(no lookaside lists)"


def timeline(machine) -> str:
    """The lifetime history recorded with ``Machine(timeline=True)``, one event per line:
    step, virtual time, row, what happened."""
    recorded = _snap(machine, "timeline").timeline
    if recorded is None:
        return "(no timeline: create the machine with Machine(timeline=True))"
    lines = [f"{'step':>4}  {'time (s)':>9}  {'object':<38} event"]
    for event in recorded.events:
        lines.append(
            f"{event.step:>4}  {event.seconds:9.6f}  {short(event.label):<38} {short(event.text)}"
        )
    if recorded.full:
        lines.append(f"(recording stopped after {recorded.limit} events)")
    return "\n".join(lines)


def mdl(pmdl) -> str:
    """An MDL's header and PFN array, like ``dt nt!_MDL`` followed by the PFNs.

    *pmdl* is an MDL, or its :class:`~wdfkit.sim.snapshot.MdlSnapshot`.
    """
    if not isinstance(pmdl, (PMDL, MdlSnapshot)):
        raise TypeError(
            f"views.mdl: pmdl must be a PMDL or an MdlSnapshot, not {type(pmdl).__name__}"
        )
    s = pmdl if isinstance(pmdl, MdlSnapshot) else mdl_snapshot(pmdl)

    def va(value: int) -> str:
        return "(null)" if value == 0 else f"0x{value >> 32:08x}`{value & 0xFFFFFFFF:08x}"

    pfns = " ".join(f"{pfn:x}" for pfn in s.pfns)
    return "\n".join(
        [
            f"dt nt!_MDL {va(s.address)}",
            f"   +0x000 Next             : {va(s.next)}",
            f"   +0x008 Size             : 0x{s.size:x}",
            f"   +0x00a MdlFlags         : 0x{s.flags:x} ({' | '.join(s.flag_names) or '0'})",
            f"   +0x018 MappedSystemVa   : {va(s.mapped_system_va)}",
            f"   +0x020 StartVa          : {va(s.start_va)}",
            f"   +0x028 ByteCount        : 0x{s.byte_count:x}",
            f"   +0x02c ByteOffset       : 0x{s.byte_offset:x}",
            f"   PFN array ({len(s.pfns)} page(s)) : {pfns}",
        ]
    )
