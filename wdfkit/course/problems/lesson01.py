"""Lesson 01's check-yourself problems (framework memory objects).

* ``01-ex1``, a prediction: the status of a copy into or out of a memory object (size,
  offset, count and direction vary).
* ``01-ex2``: who owns each buffer: after deleting memory objects made by the three creation
  DDIs, how much of their tag is still in pool (which DDIs, in which order, and the sizes vary).
* ``01-ex3``: a ``WDF_MEMORY_DESCRIPTOR`` window for a synchronous read: its status and bytes
  read (the memory's size and the window's offset and length vary).
"""

import random

from ...ddi.wdfdevice import WdfDeviceCreate, WdfDeviceGetIoTarget
from ...ddi.wdfiotarget import WdfIoTargetSendReadSynchronously
from ...ddi.wdflookaside import WdfLookasideListCreate, WdfMemoryCreateFromLookaside
from ...ddi.wdfmemory import (
    WDF_MEMORY_DESCRIPTOR,
    WDF_MEMORY_DESCRIPTOR_INIT_HANDLE,
    WDFMEMORY_OFFSET,
    WdfMemoryCopyFromBuffer,
    WdfMemoryCopyToBuffer,
    WdfMemoryCreate,
    WdfMemoryCreatePreallocated,
)
from ...ddi.wdfobject import WDF_NO_OBJECT_ATTRIBUTES, WdfObjectDelete
from ...ddi.wdm import ExAllocatePoolWithTag, RtlFillMemory
from ...kernel.ntstatus import (
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INTEGER_OVERFLOW,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ...kernel.pool import NonPagedPoolNx
from ...language import _
from ...sim.machine import Machine
from ..answers import COUNT, STATUS, Several
from ..problem import Problem

TAG = "fuBM"  # shows as 'MBuf' in the pool views


def _copy_diagnoses(status, size: int, offset: int, count: int, copy_in: bool) -> dict:
    """What each plausible wrong status means for this copy."""
    fits = offset + count <= size
    said = {}
    if count == 0:
        said[STATUS_SUCCESS] = _(
            "Zero bytes is not a copy that trivially succeeds: both copy DDIs check the count "
            "before they look at the buffer. What does a count of 0 get?"
        )
        said[STATUS_INVALID_BUFFER_SIZE] = _(
            "Zero bytes cannot run past the end of the buffer; the count itself is refused, "
            "as an invalid parameter."
        )
        said[STATUS_BUFFER_TOO_SMALL] = _(
            "No buffer is too small for zero bytes; it is the count itself that the copy DDIs "
            "look at first."
        )
    elif not fits:
        said[STATUS_SUCCESS] = _(
            "Offset {offset} + {count} bytes = {end} is past the end of the "
            "{size}-byte buffer, and the copy is refused whole, not cut short."
        ).format(offset=offset, count=count, end=offset + count, size=size)
        other = STATUS_BUFFER_TOO_SMALL if copy_in else STATUS_INVALID_BUFFER_SIZE
        said[other] = _(
            "That is how the other direction refuses a copy that does not fit: the two copy "
            "DDIs use different statuses. Check which way this copy goes."
        )
        if copy_in and offset < size:
            said[other] += " " + _(
                "(Careful: for a count that runs past the end from a valid offset, the "
                "documentation of WdfMemoryCopyFromBuffer and the KMDF source disagree; wdfkit "
                "follows the source.)"
            )
    else:
        said[STATUS_INVALID_BUFFER_SIZE if copy_in else STATUS_BUFFER_TOO_SMALL] = _(
            "Offset {offset} + {count} bytes = {end} is not past the end of "
            "the {size}-byte buffer: a copy may end exactly at the end."
        ).format(offset=offset, count=count, end=offset + count, size=size)
        said[STATUS_BUFFER_TOO_SMALL if copy_in else STATUS_INVALID_BUFFER_SIZE] = _(
            "That is how the other direction refuses a copy past the end; and this copy "
            "does not run past the end anyway."
        )
    if count != 0 and status != STATUS_INVALID_PARAMETER:
        said[STATUS_INVALID_PARAMETER] = _(
            "STATUS_INVALID_PARAMETER is the answer to a count of zero; this count is not zero."
        )
    return said


def draw_ex1(label: str, rng: random.Random) -> Problem:
    """A prediction: the status of WdfMemoryCopyFromBuffer / CopyToBuffer."""
    size = rng.choice([16, 32, 48, 64])
    offset = rng.choice([0, size // 2, size - 4, size])
    count = rng.choice([0, 4, size // 2, size - offset, size])
    copy_in = rng.choice([True, False])
    ddi = "WdfMemoryCopyFromBuffer" if copy_in else "WdfMemoryCopyToBuffer"
    with Machine("Toaster"):
        _status, memory, buffer = WdfMemoryCreate(None, NonPagedPoolNx, "xEyM", size)
        RtlFillMemory(buffer, size, ord("."))
        local = bytearray(b"#" * size)
        if copy_in:
            status = WdfMemoryCopyFromBuffer(memory, offset, bytes(local), count)
        else:
            status = WdfMemoryCopyToBuffer(memory, offset, local, count)
        after = buffer.read(size) if copy_in else bytes(local)
    changed = after.count(b"#") if copy_in else after.count(b".")
    moved = (
        _("bytes copied into the object's buffer: {count}")
        if copy_in
        else _("bytes copied into localArray: {count}")
    ).format(count=changed)
    call = f"{ddi}(memory, {offset}, localArray, {count})"
    return Problem(
        label,
        _(
            "A memory object has a {size}-byte buffer; localArray is a {size}-byte local "
            "array. What status does {call} return?"
        ).format(size=size, call=call),
        STATUS,
        status,
        _(
            "A count of zero is STATUS_INVALID_PARAMETER; a copy that would run past the end is "
            "refused whole: STATUS_INVALID_BUFFER_SIZE into the object (WdfMemoryCopyFromBuffer), "
            "STATUS_BUFFER_TOO_SMALL out of it (WdfMemoryCopyToBuffer); anything else is copied."
        ),
        _copy_diagnoses(status, size, offset, count, copy_in),
        hint=_("Add the offset and the count, and compare with the buffer's size."),
        prediction=True,
        outcome=f"{call} -> {status!r}\n{moved}",
    )


def draw_ex2(label: str, rng: random.Random) -> Problem:
    """Ownership: what is left of the memory objects' tag once every object is deleted."""
    kinds = ["WdfMemoryCreatePreallocated", rng.choice(["WdfMemoryCreate", "lookaside"])]
    kinds += rng.sample(["WdfMemoryCreate", "WdfMemoryCreatePreallocated", "lookaside"], 1)
    rng.shuffle(kinds)
    lines, memories = [], []
    owned_by_driver = owned_by_framework = 0
    machine = Machine("Toaster")
    with machine:
        lookaside_size = rng.choice([128, 256])
        if "lookaside" in kinds:
            _status, lookaside = WdfLookasideListCreate(
                WDF_NO_OBJECT_ATTRIBUTES, lookaside_size, NonPagedPoolNx, None, TAG
            )
            lines.append(
                f"WdfLookasideListCreate(WDF_NO_OBJECT_ATTRIBUTES, {lookaside_size}, "
                f"NonPagedPoolNx,\n        WDF_NO_OBJECT_ATTRIBUTES, '{TAG}', &lookaside);"
            )
        for n, kind in enumerate(kinds, 1):
            size = rng.choice([16, 32, 64, 100, 512])
            if kind == "WdfMemoryCreate":
                memories.append(WdfMemoryCreate(None, NonPagedPoolNx, TAG, size)[1])
                lines.append(
                    f"WdfMemoryCreate(WDF_NO_OBJECT_ATTRIBUTES, NonPagedPoolNx, '{TAG}', {size}, "
                    f"&memory{n}, &buffer{n});"
                )
                owned_by_framework += size
            elif kind == "lookaside":
                memories.append(WdfMemoryCreateFromLookaside(lookaside)[1])
                lines.append(f"WdfMemoryCreateFromLookaside(lookaside, &memory{n});")
                owned_by_framework += lookaside_size
            else:
                mine = ExAllocatePoolWithTag(NonPagedPoolNx, size, TAG)
                memories.append(WdfMemoryCreatePreallocated(None, mine, size)[1])
                lines.append(
                    f"buffer{n} = ExAllocatePoolWithTag(NonPagedPoolNx, {size}, '{TAG}'); "
                    f"WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, buffer{n}, {size}, "
                    f"&memory{n});"
                )
                owned_by_driver += size
        for memory in memories:
            WdfObjectDelete(memory)
        left = machine.snapshot().bytes_by_tag().get("MBuf", 0)
    lines += [f"WdfObjectDelete(memory{n});" for n in range(1, len(kinds) + 1)]
    diagnoses = {
        0: _(
            "Deleting a WdfMemoryCreatePreallocated object frees only the object: the buffer "
            "it wraps belongs to the driver, which frees it with ExFreePoolWithTag."
        ),
        owned_by_driver + owned_by_framework: _(
            "The buffers of WdfMemoryCreate and of a "
            "lookaside list belong to their memory objects: they went when the objects did (a "
            "lookaside buffer back to its list, which, with Driver Verifier on, hands it to pool)."
        ),
        owned_by_framework: _(
            "The other way round: the framework owns the buffers it "
            "allocated (freed with their objects); the driver owns the preallocated ones."
        ),
    }
    code = "\n    " + "\n    ".join(line.replace("); ", ");\n    ") for line in lines) + "\n"
    asked = _("How many bytes tagged '{tag}' (pool views: 'MBuf') are still allocated now?")
    if "lookaside" in kinds:
        asked = _("The lookaside list itself stays.") + " " + asked
    return Problem(
        label,
        _("On a machine with both verifiers on, the driver runs:{code}{question}").format(
            code=code, question=asked.format(tag=TAG)
        ),
        COUNT,
        left,
        _(
            "Only the preallocated buffers are left: WdfMemoryCreatePreallocated points at a "
            "buffer the driver owns, while WdfMemoryCreate's buffer and a lookaside buffer belong "
            "to the memory object and go when it is deleted (the lookaside one to its list, which "
            "under Driver Verifier, at Depth 0, frees it to pool)."
        ),
        diagnoses,
        hint=_("For each creation DDI, ask who allocated the buffer: that one frees it."),
    )


def _read_device(devices: list):
    """EvtDriverDeviceAdd for a device with only its default I/O target (the lower driver
    answers reads); the device goes into *devices*."""

    def EvtDriverDeviceAdd(Driver, DeviceInit):
        status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
        devices.append(device)
        return status

    return EvtDriverDeviceAdd


def draw_ex3(label: str, rng: random.Random) -> Problem:
    """A WDF_MEMORY_DESCRIPTOR window for WdfIoTargetSendReadSynchronously."""
    size = rng.choice([32, 64, 100, 256])
    offset = rng.choice([0, 8, size // 2, size - 8])
    length = rng.choice([0, 8, 16, size // 2, size - offset, size])
    machine = Machine("Toaster")
    with machine:
        devices = []
        machine.add_device(_read_device(devices))
        target = WdfDeviceGetIoTarget(devices[0])
        _status, memory, _buffer = WdfMemoryCreate(None, NonPagedPoolNx, TAG, size)
        descriptor = WDF_MEMORY_DESCRIPTOR()
        window = WDFMEMORY_OFFSET(BufferOffset=offset, BufferLength=length)
        WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(descriptor, memory, window)
        status, read = WdfIoTargetSendReadSynchronously(target, None, descriptor, None, None)
    success = int(STATUS_SUCCESS)
    if offset + length > size:
        diagnoses = {
            (STATUS_INVALID_DEVICE_REQUEST, 0): _(
                "That is what the documentation lists for a "
                "window past the end; the KMDF source (IFxMemory::ValidateMemoryOffsets) returns "
                "another status, and wdfkit follows the source. Run a window past the end in "
                "Try it and read the status."
            ),
            (STATUS_BUFFER_TOO_SMALL, 0): _(
                "That is WdfMemoryCopyToBuffer's refusal; an I/O "
                "target checks a descriptor's window itself, and a window past the end is an "
                "overflow."
            ),
            (success, size - offset): _(
                "The window is not cut down to fit: a window past the "
                "end of the memory is refused whole, before anything is sent."
            ),
        }
    else:
        diagnoses = {
            (STATUS_INTEGER_OVERFLOW, 0): _(
                "BufferOffset {offset} + BufferLength {length} = "
                "{end} is not past the end of the {size}-byte buffer: nothing "
                "overflows."
            ).format(offset=offset, length=length, end=offset + length, size=size),
            (STATUS_INVALID_DEVICE_REQUEST, 0): _(
                "Nothing is refused: the window lies inside "
                "the buffer, and the default I/O target takes reads."
            ),
        }
        if length:
            diagnoses[(success, size)] = _(
                "The read fills only the window, BufferLength bytes from BufferOffset, not the "
                "whole buffer."
            )
    if length == 0:
        diagnoses[(success, 0)] = _(
            "BufferLength 0 does not mean zero bytes: it means from BufferOffset to the end "
            "of the memory object's buffer."
        )
        if offset:
            diagnoses[(success, size)] = _(
                "BufferLength 0 means from BufferOffset to the end, not the whole buffer."
            )
    return Problem(
        label,
        _(
            "The driver has a memory object with a {size}-byte buffer and reads from its "
            "device's default I/O target (the lower driver fills whatever it is given): "
            "WDF_MEMORY_DESCRIPTOR_INIT_HANDLE(&desc, memory, &offsets) with offsets.BufferOffset "
            "= {offset} and offsets.BufferLength = {length}, then WdfIoTargetSendReadSynchronously"
            "(target, NULL, &desc, NULL, NULL, &bytesRead). What status does it return, and what "
            "bytesRead? Answer (status, bytesRead). (A BufferLength of 0 stands for 'from "
            "BufferOffset to the end of the buffer'.)"
        ).format(size=size, offset=offset, length=length),
        Several(STATUS, COUNT),
        (status, read),
        _(
            "The window must lie inside the memory: BufferOffset + BufferLength past its end is "
            "STATUS_INTEGER_OVERFLOW and nothing is sent; BufferLength 0 means 'from the offset to "
            "the end'; otherwise the lower driver fills exactly the window."
        ),
        diagnoses,
        hint=_(
            "Compare BufferOffset + BufferLength with the buffer's size; remember what a "
            "BufferLength of 0 means."
        ),
    )


PROBLEMS = {"01-ex1": draw_ex1, "01-ex2": draw_ex2, "01-ex3": draw_ex3}
