"""Lesson 05's check-yourself problems (aligning buffers)."""

import random

from ...ddi.wdfcore import WDF_ALIGN_SIZE_DOWN, WDF_ALIGN_SIZE_UP
from ...ddi.wdm import ExAllocatePoolWithTag
from ...kernel.pool import NonPagedPoolNx
from ...language import _
from ...sim.machine import Machine
from ..answers import COUNT, HEX, Several
from ..problem import Problem

SIZE_T_MAX = 2**64 - 1


def draw_aligned_start(label: str, rng: random.Random) -> Problem:
    """The lesson's recipe 1: over-allocate by AlignTo - 1, round the pool's address up."""
    align = rng.choice([32, 64, 128])
    length = rng.randint(20, 300)
    machine = Machine("Toaster", verifier=True)
    with machine:
        for _round in range(rng.randint(0, 5)):  # earlier allocations move the pool's cursor
            ExAllocatePoolWithTag(NonPagedPoolNx, rng.choice([16, 40, 100]), "rehO")
        block = ExAllocatePoolWithTag(NonPagedPoolNx, length + align - 1, "nlAS")
    address = block.address
    base = WDF_ALIGN_SIZE_UP(address, align)
    down = WDF_ALIGN_SIZE_DOWN(address, align)
    diagnoses = {
        (down, address - down): _(
            "That rounds the address down: the start would lie before "
            "the block the pool gave. Round up, into the extra bytes."
        ),
        (base, align - (address % align)): _(
            "The skip is start - address; when the pool's "
            "address is already a multiple of AlignTo, nothing is skipped."
        ),
        (base, align - 1): _(
            "AlignTo - 1 = {most} is the most the driver can skip, why it "
            "asked for that many extra bytes; it skips only start - address."
        ).format(most=align - 1),
        (address, 0): _(
            "The pool's address is a multiple of 16, not necessarily of "
            "{align}: check address % {align}."
        ).format(align=align),
    }
    return Problem(
        label,
        _(
            "A driver needs {length} bytes starting on a multiple of {align}. It calls\n"
            "    ExAllocatePoolWithTag(NonPagedPoolNx, {length} + {align} - 1, 'nlAS')\n"
            "and gets 0x{address:X}. At what address do its aligned bytes start, and how\n"
            "many bytes does it skip before them? Answer (start, skipped)."
        ).format(length=length, align=align, address=address),
        Several(HEX, HEX),
        (base, base - address),
        _(
            "start = WDF_ALIGN_SIZE_UP(address, AlignTo), skipped = start - address (at most "
            "AlignTo - 1, which is why the driver asked for that many extra bytes). The driver "
            "frees the address the pool gave, not the aligned one."
        ),
        diagnoses=diagnoses,
    )


def draw_carving(label: str, rng: random.Random) -> Problem:
    """Offsets of several aligned buffers carved from one block, and the total to allocate."""
    align = rng.choice([8, 16, 32, 64])
    sizes = [rng.choice([3, 7, 12, 20, 24, 33, 50, 64, 100]) for _round in range(rng.randint(3, 4))]
    sizes[0] = rng.choice([3, 7, 12, 20, 33, 50])  # never a multiple of AlignTo: padding follows
    offsets, cursor = [], 0
    for size in sizes:
        cursor = WDF_ALIGN_SIZE_UP(cursor, align)
        offsets.append(cursor)
        cursor += size
    total = WDF_ALIGN_SIZE_UP(cursor, align)
    last = len(sizes) - 1
    plain = sum(sizes[:last])
    diagnoses = {
        (plain, sum(sizes)): _(
            "Those are the sizes added up, with no padding: each buffer "
            "starts at the next multiple of {align} after the one before it ends."
        ).format(align=align),
        (offsets[last], cursor): _(
            "The offset is right; the total is rounded up too "
            "(total = WDF_ALIGN_SIZE_UP(cursor, {align})), as the lesson's code does."
        ).format(align=align),
        (offsets[last - 1], total): _(
            "That is where the buffer before the last one starts; "
            "the last one starts after it, at the next multiple."
        ),
        (offsets[last], offsets[last] + sizes[last]): _(
            "The offset is right; the total is "
            "where the last buffer ends, rounded up to the alignment."
        ),
    }
    solution = (offsets[last], total)
    return Problem(
        label,
        _(
            "A driver carves {count} buffers of {sizes} bytes, in that "
            "order, from one pool block, each starting on a multiple of {align} from the block's "
            "start, as the lesson's loop does (round the cursor up, place the buffer, add its "
            "size; at the end round the total up). At what offset does the last buffer start, "
            "and how many bytes does the driver allocate? Answer (offset, total)."
        ).format(count=len(sizes), sizes=", ".join(map(str, sizes)), align=align),
        Several(COUNT, COUNT),
        solution,
        _(
            "Offsets {offsets}: each is WDF_ALIGN_SIZE_UP(cursor, {align}) "
            "where the buffer before it ended; the last ends at {cursor}, and "
            "WDF_ALIGN_SIZE_UP({cursor}, {align}) = {total} bytes are allocated."
        ).format(offsets=", ".join(map(str, offsets)), align=align, cursor=cursor, total=total),
        diagnoses=diagnoses,
        hint=_("Write the cursor down after each buffer and round it up before the next."),
    )


def draw_align_values(label: str, rng: random.Random) -> Problem:
    """A prediction: WDF_ALIGN_SIZE_UP and _DOWN on one length, sometimes near 2**64."""
    align = rng.choice([8, 16, 64, 256, 4096])
    if rng.random() < 0.5:
        length = rng.randint(1, 5000)
    else:
        length = SIZE_T_MAX + 1 - rng.choice([1, 2, 3, align // 2, align, align + 5])
    up, down = WDF_ALIGN_SIZE_UP(length, align), WDF_ALIGN_SIZE_DOWN(length, align)
    outcome = (
        f"WDF_ALIGN_SIZE_UP(0x{length:X}, {align}) = 0x{up:X}\n"
        f"WDF_ALIGN_SIZE_DOWN(0x{length:X}, {align}) = 0x{down:X}\n"
        + (
            _("UP < Length: the size_t sum wrapped, and the driver must fail the request.")
            if up < length
            else _("UP >= Length: no overflow.")
        )
    )
    diagnoses = {
        (down, up): _("Swapped: UP is the larger (unless it wraps), DOWN the smaller."),
        ((length + align - 1) % 2**64, down): _(
            "UP adds AlignTo - 1 and then clears the low "
            "bits: Length + AlignTo - 1 is only the first half."
        ),
    }
    if up < length:
        diagnoses[(down + align, down)] = _(
            "On paper that is the next multiple, but it does not fit in 64 bits: size_t "
            "arithmetic wraps around, and UP comes out smaller than Length."
        )
    solution = (up, down)
    explained = (
        _(
            "DOWN clears the low bits: 0x{length:X} & ~0x{mask:X} = 0x{down:X}. UP is "
            "DOWN(Length + 0x{mask:X}), computed in 64-bit size_t, which wrapped past 2**64: "
            "the result is smaller than Length, the overflow the driver must check for."
        )
        if up < length
        else _(
            "DOWN clears the low bits: 0x{length:X} & ~0x{mask:X} = 0x{down:X}. UP is "
            "DOWN(Length + 0x{mask:X}), computed in 64-bit size_t: 0x{up:X}."
        )
    )
    return Problem(
        label,
        _(
            "Predict first, then run it: on x64, what do WDF_ALIGN_SIZE_UP(0x{length:X}, "
            "{align}) and WDF_ALIGN_SIZE_DOWN(0x{length:X}, {align}) return? Answer (up, down)."
        ).format(length=length, align=align),
        Several(HEX, HEX),
        solution,
        explained.format(length=length, mask=align - 1, down=down, up=up),
        diagnoses=diagnoses,
        prediction=True,
        outcome=outcome,
    )


PROBLEMS = {
    "05-ex1": draw_aligned_start,
    "05-ex2": draw_carving,
    "05-ex3": draw_align_values,
}
