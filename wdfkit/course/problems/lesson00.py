"""Lesson 00's check-yourself problems (the simulated machine, its views, its verifiers).

* ``00-ex1``: how many pool blocks one ``WdfMemoryCreate`` allocates (size, pool type and
  KMDF Verifier vary).
* ``00-ex2``, a prediction: which bug check a mistake gives on a machine with each verifier
  on or off (the mistake and the two switches vary).
* ``00-ex3``: a handle is not a pointer: turn a handle into the object's address, or back
  (the object, the other objects before it, and the direction vary).
"""

import random

from ...ddi.wdflookaside import WdfLookasideListCreate
from ...ddi.wdfmemory import WdfMemoryCreate, WdfMemoryGetBuffer
from ...ddi.wdfobject import WdfObjectDelete
from ...ddi.wdm import ExAllocatePoolWithTag, ExFreePoolWithTag, KeRaiseIrql, RtlZeroMemory
from ...kernel.bugcheck import (
    BAD_POOL_CALLER,
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
    DRIVER_VERIFIER_DETECTED_VIOLATION,
    PAGE_FAULT_IN_NONPAGED_AREA,
    WDF_VIOLATION,
    BugCheck,
)
from ...kernel.pool import DISPATCH_LEVEL, NonPagedPoolNx, PagedPool
from ...language import N_, _
from ...sim.machine import Machine
from ..answers import COUNT, HEX, BugCheckKind
from ..problem import Problem

PAGE_SIZE = 0x1000
ALL_BITS = 0xFFFF_FFFF_FFFF_FFFF


def draw_ex1(label: str, rng: random.Random) -> Problem:
    """How many pool blocks one WdfMemoryCreate allocates."""
    size = rng.choice([32, 200, 1000, 4000, 4096, 9000])
    pool, pool_name = rng.choice([(NonPagedPoolNx, "NonPagedPoolNx"), (PagedPool, "PagedPool")])
    verifier = rng.choice([True, False])  # KMDF Verifier: FxPoolTrackingOn picks the layout
    machine = Machine("Toaster", kmdf_verifier=verifier)
    with machine:
        before = len(machine.snapshot().blocks)
        WdfMemoryCreate(None, pool, "xEyM", size)
        blocks = len(machine.snapshot().blocks) - before
    reasons = []
    if verifier:
        reasons.append(_("KMDF Verifier's pool tracking is on"))
    if pool == PagedPool:
        reasons.append(_("the buffer is paged while the object must be nonpaged"))
    if size >= PAGE_SIZE:
        reasons.append(_("{size} bytes is a page or more").format(size=size))
    diagnoses = {0: _("Every WdfMemoryCreate allocates at least the memory object itself.")}
    if blocks == 2:
        both = reasons[0]
        for reason in reasons[1:]:
            both = _("{reason} and {other_reason}").format(reason=both, other_reason=reason)
        diagnoses[1] = _(
            "One block is the embedded layout, the buffer right after the object, which KMDF "
            "uses only when nothing rules it out. Here something does: {reasons}."
        ).format(reasons=both)
    else:
        diagnoses[2] = _(
            "Two blocks is the layout for a buffer of a page or more, a paged buffer, or KMDF "
            "Verifier's pool tracking. Check the call and the machine against that list."
        )
    diagnoses[3] = _(
        "The machine's own blocks (the driver's) were there before the call: count "
        "only what this call adds, the object and, maybe, a separate buffer."
    )
    call = f"WdfMemoryCreate(None, {pool_name}, 'xEyM', {size})"
    return Problem(
        label,
        (
            _("With KMDF Verifier on (Driver Verifier on), {call} allocates how many pool blocks?")
            if verifier
            else _(
                "With KMDF Verifier off (Driver Verifier on), {call} allocates how many pool "
                "blocks?"
            )
        ).format(call=call),
        COUNT,
        blocks,
        _(
            "One block when KMDF embeds a small nonpaged buffer after the object; two when the "
            "buffer gets a block of its own (a page or more, paged pool, or KMDF Verifier's pool "
            "tracking; Driver Verifier does not change the layout)."
        ),
        diagnoses,
        hint=_("Open the lab in Look at it and set the same size, pool and KMDF Verifier."),
    )


def _double_free(n):
    block = ExAllocatePoolWithTag(NonPagedPoolNx, n, "fuBM")
    ExFreePoolWithTag(block, "fuBM")
    ExFreePoolWithTag(block, "fuBM")


def _wrong_tag(n):
    block = ExAllocatePoolWithTag(NonPagedPoolNx, n, "fuBM")
    ExFreePoolWithTag(block, "gaTS")


def _touch_after_free(n):
    block = ExAllocatePoolWithTag(NonPagedPoolNx, n, "fuBM")
    ExFreePoolWithTag(block, "fuBM")
    RtlZeroMemory(block, 8)


def _handle_after_delete(n):
    _status, memory, _buffer = WdfMemoryCreate(None, NonPagedPoolNx, "fuBM", n)
    WdfObjectDelete(memory)
    WdfMemoryGetBuffer(memory)


def _paged_at_dispatch(n):
    KeRaiseIrql(DISPATCH_LEVEL)
    WdfMemoryCreate(None, PagedPool, "fuBM", n)


# name: (its run, the C the learner reads, the (KMDF Verifier, Driver Verifier) settings
# under which it bug-checks)
MISTAKES = {
    "double free": (
        _double_free,
        "p = ExAllocatePoolWithTag(NonPagedPoolNx, {n}, 'fuBM'); ExFreePoolWithTag(p, 'fuBM'); "
        "ExFreePoolWithTag(p, 'fuBM');",
        ((False, False), (True, False), (False, True), (True, True)),
    ),
    "wrong tag": (
        _wrong_tag,
        "p = ExAllocatePoolWithTag(NonPagedPoolNx, {n}, 'fuBM'); ExFreePoolWithTag(p, 'gaTS');",
        ((False, False), (True, False), (False, True), (True, True)),
    ),
    "touch after free": (
        _touch_after_free,
        "p = ExAllocatePoolWithTag(NonPagedPoolNx, {n}, 'fuBM'); ExFreePoolWithTag(p, 'fuBM'); "
        "RtlZeroMemory(p, 8);",
        ((False, True), (True, True)),
    ),
    "handle after delete": (
        _handle_after_delete,
        "WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, 'fuBM', {n}, &memory, "
        "&buffer); WdfObjectDelete(memory); WdfMemoryGetBuffer(memory, &size);",
        ((False, False), (True, False), (False, True), (True, True)),
    ),
    "paged at DISPATCH_LEVEL": (
        _paged_at_dispatch,
        "KeRaiseIrql(DISPATCH_LEVEL, &old); WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, "
        "PagedPool, 'fuBM', {n}, &memory, &buffer);",
        ((False, False), (False, True)),
    ),
}


def _bugcheck_diagnoses(mistake: str, code: int, driver_verifier: bool) -> dict:
    """What each plausible wrong code means for *mistake*, whose right code is *code*."""
    said = {}
    pool_call = mistake != "handle after delete"
    if code != WDF_VIOLATION and pool_call:
        said[WDF_VIOLATION] = _(
            "0x10D is KMDF's own bug check, for a bad handle or a broken framework rule; this "
            "mistake is caught in the pool, which the kernel checks."
        )
    if code == BAD_POOL_CALLER and driver_verifier:
        said[DRIVER_VERIFIER_DETECTED_VIOLATION] = _(
            "Driver Verifier is on, but it does not see this one first: the kernel checks the "
            "tag at the free itself, before any verifier. Which code does the kernel's pool "
            "check use?"
        )
    elif code == BAD_POOL_CALLER:
        said[DRIVER_VERIFIER_DETECTED_VIOLATION] = _(
            "0xC4 is Driver Verifier's code, and Driver Verifier is off on this machine: "
            "something else checks pool calls. Which code does the kernel's own check use?"
        )
    if code == DRIVER_VERIFIER_DETECTED_VIOLATION:
        said[BAD_POOL_CALLER] = _(
            "0xC2 is the kernel's own pool check; with Driver Verifier on, Driver Verifier sees "
            "this mistake first, and it stops the machine with a code of its own."
        )
    if code == WDF_VIOLATION:
        said[PAGE_FAULT_IN_NONPAGED_AREA] = _(
            "0x50 is what a dead *pointer* gives; here the dead thing was a *handle*, and "
            "wdfkit checks every handle a DDI gets before it touches memory. Which bug check "
            "is the framework's own?"
        )
        said[DRIVER_VERIFIER_DETECTED_VIOLATION] = _(
            "Driver Verifier watches pool, not framework handles; wdfkit's check of the "
            "handle stops the machine, whichever verifier is on."
        )
    if code == DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL:
        said[BAD_POOL_CALLER] = _(
            "0xC2 is a bad call into the pool allocator, such as a second free; here the free "
            "was right, and it is the touch after it that faults."
        )
        said[PAGE_FAULT_IN_NONPAGED_AREA] = _(
            "0x50 is a fault on invalid memory in general; with Driver Verifier on, the "
            "driver's own allocations sit in its special pool, which has a more precise code "
            "for a touch after the free."
        )
    return said


def draw_ex2(label: str, rng: random.Random) -> Problem:
    """A prediction: the bug check one mistake gives, with each verifier on or off."""
    mistake = rng.choice(sorted(MISTAKES))
    run, c_text, settings = MISTAKES[mistake]
    kmdf_verifier, driver_verifier = rng.choice(settings)
    n = rng.choice([24, 64, 100, 512])
    machine = Machine("Toaster", kmdf_verifier=kmdf_verifier, driver_verifier=driver_verifier)
    try:
        with machine:
            run(n)
    except BugCheck as stopped:
        bugcheck = stopped
    else:
        raise RuntimeError(f"00-ex2: {mistake} did not bug-check")  # MISTAKES lists when it does
    code = "\n    " + c_text.format(n=n).replace("; ", ";\n    ") + "\n"
    return Problem(
        label,
        _(
            "On a machine with {kmdf_verifier}, {driver_verifier}, the driver does this:{code}"
            "The machine stops. With which bug-check code?"
        ).format(
            kmdf_verifier=_("KMDF Verifier on") if kmdf_verifier else _("KMDF Verifier off"),
            driver_verifier=_("Driver Verifier on")
            if driver_verifier
            else _("Driver Verifier off"),
            code=code,
        ),
        BugCheckKind(0),
        bugcheck.code,
        _(EXPLANATIONS[mistake]),
        _bugcheck_diagnoses(mistake, bugcheck.code, driver_verifier),
        hint=_("Read the two-verifier table in The idea again: who checks what."),
        prediction=True,
        outcome=bugcheck.blue_screen(),
    )


EXPLANATIONS = {
    "double free": N_(
        "A second free of the same block: the kernel's pool check says "
        "0xC2 BAD_POOL_CALLER, but with Driver Verifier on, Driver Verifier sees it first "
        "and says 0xC4."
    ),
    "wrong tag": N_(
        "Freeing with a tag that is not the block's is caught by the kernel's "
        "own check of the tag, 0xC2 BAD_POOL_CALLER, with or without Driver Verifier."
    ),
    "touch after free": N_(
        "Driver Verifier's special pool holds the driver's own "
        "allocations; touching one after its free is 0xD5."
    ),
    "handle after delete": N_(
        "wdfkit checks every handle a DDI receives and stops on "
        "a deleted object's handle with 0x10D WDF_VIOLATION (Arg1 0x5, an invalid "
        "handle), whichever verifier is on. Real KMDF does not check that the object is "
        "still alive: it reads the freed object, so anything may happen."
    ),
    "paged at DISPATCH_LEVEL": N_(
        "With KMDF Verifier off nothing refuses the call at "
        "DISPATCH_LEVEL, and paged pool may not be allocated there: the kernel says 0xC2, "
        "Driver Verifier 0xC4 (KMDF Verifier would have refused the call with a status)."
    ),
}
"""What the right bug check of each of MISTAKES means (translated where it is shown)."""


def draw_ex3(label: str, rng: random.Random) -> Problem:
    """A handle is the object's address XOR ~0x7: one way or the other."""
    before = rng.randint(0, 3)
    kind = rng.choice(["WDFMEMORY", "WDFLOOKASIDE"])
    to_address = rng.choice([True, False])
    machine = Machine("Toaster")
    with machine:
        for _round in range(before):
            WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", rng.choice([16, 64, 200]))
        if kind == "WDFMEMORY":
            _status, handle, _buffer = WdfMemoryCreate(None, NonPagedPoolNx, "gaTS", 64)
        else:
            _status, handle = WdfLookasideListCreate(None, 256, NonPagedPoolNx, None, "gaTS")
        address = machine.objects[handle.value].address
    value = handle.value
    flipped_all = _(
        "You flipped every bit, the lowest three too: FxHandleValueMask is ~0x7, "
        "which leaves the lowest three bits as they are."
    )
    if to_address:
        question = _(
            "A driver holds the {kind} handle 0x{value:016X}. At which address does KMDF "
            "find the object when a DDI receives this handle?"
        ).format(kind=kind, value=value)
        solution = address
        diagnoses = {
            value: _(
                "That is the handle itself. A handle is not the object's address: KMDF "
                "turns it back into one with an XOR."
            ),
            value ^ ALL_BITS: flipped_all,
        }
    else:
        question = _(
            "KMDF has just created a {kind} whose object sits at 0x{address:016X}. Which "
            "handle does the driver get for it?"
        ).format(kind=kind, address=address)
        solution = value
        diagnoses = {
            address: _(
                "That is the object's address. The driver never gets it: KMDF hands out "
                "the address XOR ~0x7."
            ),
            address ^ ALL_BITS: flipped_all,
        }
    return Problem(
        label,
        question,
        HEX,
        solution,
        _(
            "Handle and address are each other XOR FxHandleValueMask (~0x7): every bit flipped "
            "except the lowest three, which stay 0 for a plain object (KMDF keeps them for flags)."
        ),
        diagnoses,
        hint=_("Lesson 00's Try it does this XOR in a cell: do it on this number."),
    )


PROBLEMS = {"00-ex1": draw_ex1, "00-ex2": draw_ex2, "00-ex3": draw_ex3}
