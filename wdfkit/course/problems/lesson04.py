"""Lesson 04's check-yourself problems (local buffers: pool blocks and memory objects)."""

import random

from ...ddi.wdfmemory import WdfMemoryCreate
from ...ddi.wdfobject import (
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    WdfObjectCreate,
    WdfObjectDelete,
)
from ...ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag
from ...kernel.bugcheck import BugCheck
from ...kernel.pool import NonPagedPoolNx
from ...language import _
from ...sim.machine import Machine
from ..answers import COUNT, BugCheckKind
from ..problem import Problem
from ._listing import listing


def _attributes(parent):
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = parent
    return attributes


def draw_leak_count(label: str, rng: random.Random) -> Problem:
    """A prediction: allocations and frees, some memory objects, then unload under Verifier."""
    machine = Machine("Toaster", verifier=True)
    lines, live, allocated, objects = [], [], 0, 0
    with machine:
        for _round in range(rng.randint(5, 8)):
            move = rng.random()
            if live and move < 0.4:
                name, p, tag = live.pop(rng.randrange(len(live)))
                ExFreePoolWithTag(p, tag)
                lines.append(f"ExFreePoolWithTag({name}, '{tag}')")
            elif move < 0.6:
                size = rng.choice([32, 64, 200])
                name = f"m{len(lines)}"
                WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", size)
                objects += 1
                lines.append(
                    f"status, {name}, _ = WdfMemoryCreate(None, NonPagedPoolNx, '1gaT', {size})"
                )
            else:
                name, tag = f"p{len(lines)}", rng.choice(["1gaT", "2gaT"])
                size = rng.choice([16, 48, 100, 256])
                live.append((name, ExAllocatePoolWithTag(NonPagedPoolNx, size, tag), tag))
                allocated += 1
                lines.append(f"{name} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, '{tag}')")
    try:
        machine.unload()
        leaked, outcome = 0, _("The driver unloaded cleanly: no bug check.")
    except BugCheck as bugcheck:
        leaked, outcome = bugcheck.parameters[3], bugcheck.blue_screen()
    diagnoses = {
        allocated: _(
            "That is every ExAllocatePoolWithTag, freed or not: count only the blocks "
            "still allocated when the driver unloads."
        ),
        leaked + objects: _(
            "That counts the memory objects too. WdfMemoryCreate's buffer is the "
            "framework's allocation, and at unload KMDF deletes the driver's objects (their "
            "parent is the driver) and frees their buffers: Driver Verifier has nothing to "
            "report for them."
        ),
        0: _(
            "It does not unload cleanly: a block allocated with ExAllocatePoolWithTag and never "
            "freed stays allocated, and Driver Verifier checks at unload."
        ),
    }
    return Problem(
        label,
        _(
            "With Driver Verifier on, the driver runs:{code}"
            "and then unloads, leaving the memory objects it created alone. If that stops the "
            "machine with 0xC4 / 0x62 (allocations not freed at unload), what is its parameter "
            "4? (Answer 0 if the driver unloads cleanly.)"
        ).format(code=listing(lines)),
        COUNT,
        leaked,
        _(
            "Parameter 4 counts the driver's own pool allocations still outstanding: every "
            "ExAllocatePoolWithTag without its ExFreePoolWithTag. Memory objects are not among "
            "them: their parent is the driver, so KMDF deletes them, and frees their buffers, "
            "when it deletes the driver object at unload."
        ),
        diagnoses=diagnoses,
        hint=_("Cross off each block as it is freed; memory objects go with the driver."),
        prediction=True,
        outcome=outcome,
    )


def draw_parent_delete(label: str, rng: random.Random) -> Problem:
    """What WdfObjectDelete on a parent frees: its children, their children, not pool blocks."""
    machine = Machine("Toaster")
    lines, buffers = [], []  # buffers: (address, parent path, owner name)
    with machine:
        _status, session = WdfObjectCreate(None)
        _status, connection = WdfObjectCreate(_attributes(session))
        lines.append("status, session = WdfObjectCreate(WDF_NO_OBJECT_ATTRIBUTES)")
        lines.append("attributes.ParentObject = session")
        lines.append("status, connection = WdfObjectCreate(attributes)")
        parents = {"session": session, "connection": connection, "the driver": None}
        chosen = [rng.choice(["session", "connection", "the driver"]) for _round in range(3)]
        chosen[rng.randrange(3)] = "connection"  # at least one grandchild of the session
        depth = {"session": 1, "connection": 2, "the driver": 0}
        for i, parent in enumerate(chosen):
            size = rng.choice([64, 128, 512])
            _status, memory, buffer = WdfMemoryCreate(
                _attributes(parents[parent]) if parents[parent] else None,
                NonPagedPoolNx,
                "meMS",
                size,
            )
            if parents[parent]:
                lines.append(f"attributes.ParentObject = {parent}")
                lines.append(
                    f"status, m{i}, _ = WdfMemoryCreate(attributes, NonPagedPoolNx, 'meMS', {size})"
                )
            else:
                lines.append(
                    f"status, m{i}, _ = WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, "
                    f"NonPagedPoolNx, 'meMS', {size})"
                )
            buffers.append((buffer.address, depth[parent]))
        for i in range(rng.randint(1, 2)):
            size = rng.choice([32, 96])
            block = ExAllocatePoolWithTag(NonPagedPoolNx, size, "lcoL")
            lines.append(
                f"p{i} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, 'lcoL')  # "
                + _("kept in the session's context")
            )
            buffers.append((block.address, None))
        deleted = rng.choice(["session", "connection"])
        WdfObjectDelete(parents[deleted])
        lines.append(f"WdfObjectDelete({deleted})")
        blocks = machine.snapshot().blocks
    alive = sum(
        any(b.address <= address < b.address + b.size for b in blocks)
        for address, _depth in buffers
    )
    level = depth[deleted]
    memory = [d for _address, d in buffers if d is not None]
    pool = len(buffers) - len(memory)
    only_direct = pool + sum(d != level for d in memory)
    diagnoses = {
        only_direct: _(
            "Deleting a parent deletes its whole subtree: a memory object whose parent "
            "is a child of the deleted object goes too."
        ),
        alive - pool: _(
            "Deleting an object never frees pool the driver took with "
            "ExAllocatePoolWithTag, even if it keeps the pointer in that object's context: the "
            "framework does not know about that block. Free it in EvtCleanupCallback."
        ),
        len(buffers): _(
            "WdfObjectDelete on a parent deletes its children too, and a memory "
            "object created by WdfMemoryCreate frees its buffer when it goes."
        ),
    }
    return Problem(
        label,
        _(
            "A driver runs (attributes set up with WDF_OBJECT_ATTRIBUTES_INIT):{code}"
            "How many of the buffers it created (the memory objects' and the pool blocks) are "
            "still allocated after the last line?"
        ).format(code=listing(lines)),
        COUNT,
        alive,
        _(
            "WdfObjectDelete({deleted}) deletes it and every object below it in the object "
            "tree, children and grandchildren; each memory object frees the buffer it owns. The "
            "driver's memory objects whose parent is elsewhere stay, and so do the pool blocks "
            "from ExAllocatePoolWithTag: nothing frees those but ExFreePoolWithTag."
        ).format(deleted=deleted),
        diagnoses=diagnoses,
        hint=_(
            "Draw the object tree: the driver, session, connection, and each m under its "
            "parent. Then cut off the deleted branch."
        ),
    )


MISTAKES = ("alias double free", "field pointer", "swapped tags")


def draw_free_mistake(label: str, rng: random.Random) -> Problem:
    """Which check stops a bad free: the mistake is in the code, Driver Verifier on or off."""
    verifier = rng.random() < 0.5
    mistake = rng.choice(MISTAKES)
    size, offset = rng.choice([64, 128, 256]), rng.choice([8, 16, 32])
    lines = [
        f"header = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, 'rdHT')",
        "names = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'maNT')",
    ]
    if mistake == "alias double free":
        lines += [
            "current = header",
            "ExFreePoolWithTag(header, 'rdHT')",
            "ExFreePoolWithTag(names, 'maNT')",
            "ExFreePoolWithTag(current, 'rdHT')",
        ]
    elif mistake == "field pointer":
        lines += [
            f"payload = header + {offset}  # " + _("the bytes after the header fields"),
            "ExFreePoolWithTag(names, 'maNT')",
            "ExFreePoolWithTag(payload, 'rdHT')",
        ]
    else:
        lines += ["ExFreePoolWithTag(names, 'rdHT')", "ExFreePoolWithTag(header, 'maNT')"]
    outcomes = {}
    for on in (True, False):
        machine = Machine("Toaster", verifier=on)
        with machine:
            header = ExAllocatePoolWithTag(NonPagedPoolNx, size, "rdHT")
            names = ExAllocatePoolWithTag(NonPagedPoolNx, 48, "maNT")
            try:
                if mistake == "alias double free":
                    current = header
                    ExFreePoolWithTag(header, "rdHT")
                    ExFreePoolWithTag(names, "maNT")
                    ExFreePoolWithTag(current, "rdHT")
                elif mistake == "field pointer":
                    ExFreePoolWithTag(names, "maNT")
                    ExFreePoolWithTag(header + offset, "rdHT")
                else:
                    ExFreePoolWithTag(names, "rdHT")
                    ExFreePoolWithTag(header, "maNT")
            except BugCheck as bugcheck:
                outcomes[on] = bugcheck
    caught = outcomes[verifier]
    solution = (caught.code, caught.parameters[0])
    other = outcomes[not verifier]
    other_key = (other.code, other.parameters[0])
    meaning = {
        "alias double free": _(
            "Current is the same address as header, so the last line frees header a second time"
        ),
        "field pointer": _(
            "Payload is {offset} bytes into the block, not an address the pool handed out"
        ),
        "swapped tags": _(
            "Names is freed with header's tag: the tag in the block's header does not match"
        ),
    }[mistake].format(offset=offset)
    diagnoses = {
        (0xC2, 0x0A): _("0xC2 / 0x0A is a tag mismatch; the tags here match the blocks they free."),
        (0xC4, 0x13): _(
            "0xC4 / 0x13 is Driver Verifier's double free; no block here is freed twice."
        ),
        0xD5: _(
            "0xD5 (or 0x50) is a page fault from touching freed memory; here nothing is read "
            "or written: ExFreePoolWithTag itself refuses the call."
        ),
    }
    if mistake == "swapped tags":
        diagnoses[(0xC4, 0x13)] = _("No block is freed twice: look at the tags.")
    if mistake == "alias double free":
        diagnoses[(0xC2, 0x0A)] = _("The tags match; look at which address is freed.")
    diagnoses[other_key] = (
        _("That is what the kernel alone reports; here Driver Verifier is on, and it checks first.")
        if verifier
        else _(
            "That is what Driver Verifier reports; here Driver Verifier is off, and the kernel "
            "checks on its own."
        )
    )
    would_be = (
        _(
            "{meaning}. {summary}: parameter 1 names the check that failed. With Driver "
            "Verifier off the answer would be 0x{code:X} / 0x{parameter:X}."
        )
        if verifier
        else _(
            "{meaning}. {summary}: parameter 1 names the check that failed. With Driver "
            "Verifier on the answer would be 0x{code:X} / 0x{parameter:X}."
        )
    )
    return Problem(
        label,
        (
            _("Driver Verifier is ON. The driver runs:")
            if verifier
            else _("Driver Verifier is OFF. The driver runs:")
        )
        + listing(lines)
        + _(
            "One line stops the machine. ExFreePoolWithTag checks three things:\n"
            "    a tag that does not match the block's: 0xC2 / 0x0A;\n"
            "    a block freed twice: 0xC4 / 0x13 with Driver Verifier, 0xC2 / 0x07 without;\n"
            "    an address the pool never handed out: 0xC4 / 0x10 with Driver Verifier,\n"
            "    0xC2 / 0x99 without.\n"
            "Find the line that stops the machine. Which bug check does it give, and with which "
            "parameter 1?"
        ),
        BugCheckKind(1),
        solution,
        would_be.format(
            meaning=meaning,
            summary=caught.summary(),
            code=other.code,
            parameter=other.parameters[0],
        ),
        diagnoses=diagnoses,
        hint=_(
            "Find the line that breaks a rule of ExFreePoolWithTag (the address the pool gave, "
            "with its tag, once), then ask who checks it with Driver Verifier on or off."
        ),
    )


PROBLEMS = {
    "04-ex1": draw_leak_count,
    "04-ex2": draw_parent_delete,
    "04-ex3": draw_free_mistake,
}
