"""Lesson 05's check-yourself problems (aligning buffers)."""

import random

from ...ddi.wdfcore import WDF_ALIGN_SIZE_DOWN, WDF_ALIGN_SIZE_UP
from ...ddi.wdm import ExAllocatePoolWithTag
from ...kernel.pool import NonPagedPoolNx
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
        for _ in range(rng.randint(0, 5)):  # earlier allocations move the pool's cursor
            ExAllocatePoolWithTag(NonPagedPoolNx, rng.choice([16, 40, 100]), "rehO")
        block = ExAllocatePoolWithTag(NonPagedPoolNx, length + align - 1, "nlAS")
    address = block.address
    base = WDF_ALIGN_SIZE_UP(address, align)
    down = WDF_ALIGN_SIZE_DOWN(address, align)
    diagnoses = {
        (down, address - down): "That rounds the address down: the start would lie before "
        "the block the pool gave. Round up, into the extra bytes.",
        (base, align - (address % align)): "The skip is start - address; when the pool's "
        "address is already a multiple of AlignTo, nothing is skipped.",
        (base, align - 1): f"AlignTo - 1 = {align - 1} is the most the driver can skip, why it "
        "asked for that many extra bytes; it skips only start - address.",
        (address, 0): "The pool's address is a multiple of 16, not necessarily of "
        f"{align}: check address % {align}.",
    }
    return Problem(
        label,
        f"A driver needs {length} bytes starting on a multiple of {align}. It calls\n"
        f"    ExAllocatePoolWithTag(NonPagedPoolNx, {length} + {align} - 1, 'nlAS')\n"
        f"and gets 0x{address:X}. At what address do its aligned bytes start, and how\n"
        "many bytes does it skip before them? Answer (start, skipped).",
        Several(HEX, HEX),
        (base, base - address),
        "start = WDF_ALIGN_SIZE_UP(address, AlignTo), skipped = start - address (at most "
        "AlignTo - 1, which is why the driver asked for that many extra bytes). The driver "
        "frees the address the pool gave, not the aligned one.",
        diagnoses=diagnoses,
    )


def draw_carving(label: str, rng: random.Random) -> Problem:
    """Offsets of several aligned buffers carved from one block, and the total to allocate."""
    align = rng.choice([8, 16, 32, 64])
    sizes = [rng.choice([3, 7, 12, 20, 24, 33, 50, 64, 100]) for _ in range(rng.randint(3, 4))]
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
        (plain, sum(sizes)): "Those are the sizes added up, with no padding: each buffer "
        f"starts at the next multiple of {align} after the one before it ends.",
        (offsets[last], cursor): "The offset is right; the total is rounded up too "
        f"(total = WDF_ALIGN_SIZE_UP(cursor, {align})), as the lesson's code does.",
        (offsets[last - 1], total): "That is where the buffer before the last one starts; "
        "the last one starts after it, at the next multiple.",
        (offsets[last], offsets[last] + sizes[last]): "The offset is right; the total is "
        "where the last buffer ends, rounded up to the alignment.",
    }
    solution = (offsets[last], total)
    return Problem(
        label,
        f"A driver carves {len(sizes)} buffers of {', '.join(map(str, sizes))} bytes, in that "
        f"order, from one pool block, each starting on a multiple of {align} from the block's "
        "start, as the lesson's loop does (round the cursor up, place the buffer, add its "
        "size; at the end round the total up). At what offset does the last buffer start, "
        "and how many bytes does the driver allocate? Answer (offset, total).",
        Several(COUNT, COUNT),
        solution,
        f"Offsets {', '.join(map(str, offsets))}: each is WDF_ALIGN_SIZE_UP(cursor, {align}) "
        f"where the buffer before it ended; the last ends at {cursor}, and "
        f"WDF_ALIGN_SIZE_UP({cursor}, {align}) = {total} bytes are allocated.",
        diagnoses=diagnoses,
        hint="Write the cursor down after each buffer and round it up before the next.",
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
            "UP < Length: the size_t sum wrapped, and the driver must fail the request."
            if up < length
            else "UP >= Length: no overflow."
        )
    )
    diagnoses = {
        (down, up): "Swapped: UP is the larger (unless it wraps), DOWN the smaller.",
        ((length + align - 1) % 2**64, down): "UP adds AlignTo - 1 and then clears the low "
        "bits: Length + AlignTo - 1 is only the first half.",
    }
    if up < length:
        diagnoses[(down + align, down)] = (
            "On paper that is the next multiple, but it does not fit in 64 bits: size_t "
            "arithmetic wraps around, and UP comes out smaller than Length."
        )
    solution = (up, down)
    return Problem(
        label,
        f"Predict first, then run it: on x64, what do WDF_ALIGN_SIZE_UP(0x{length:X}, {align}) "
        f"and WDF_ALIGN_SIZE_DOWN(0x{length:X}, {align}) return? Answer (up, down).",
        Several(HEX, HEX),
        solution,
        f"DOWN clears the low bits: 0x{length:X} & ~0x{align - 1:X} = 0x{down:X}. UP is "
        f"DOWN(Length + 0x{align - 1:X}), computed in 64-bit size_t"
        + (
            ", which wrapped past 2**64: the result is smaller than Length, the overflow the "
            "driver must check for."
            if up < length
            else f": 0x{up:X}."
        ),
        diagnoses=diagnoses,
        prediction=True,
        outcome=outcome,
    )


PROBLEMS = {
    "05-ex1": draw_aligned_start,
    "05-ex2": draw_carving,
    "05-ex3": draw_align_values,
}
