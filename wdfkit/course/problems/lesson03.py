"""Lesson 03's check-yourself problems (MDLs).

* ``03-ex1``: how many PFNs an MDL holds and how many DMA transfers cut it (offset, length
  and MaximumLength vary).
* ``03-ex2``: StartVa and ByteOffset of the MDL ``IoAllocateMdl`` builds for an address (the
  address's offset from a page-aligned allocation and the length vary).
* ``03-ex3``, a prediction: what ``WdfRequestRetrieveInputWdmMdl`` /
  ``WdfRequestRetrieveOutputWdmMdl`` return for a request (buffering method, request kind,
  sizes, which DDI and the order of the calls vary).
"""

import random

from ...ddi.wdfdevice import WdfDeviceIoBuffered
from ...ddi.wdfrequest import (
    WdfRequestComplete,
    WdfRequestRetrieveInputWdmMdl,
    WdfRequestRetrieveOutputWdmMdl,
)
from ...ddi.wdm import (
    CTL_CODE,
    FILE_ANY_ACCESS,
    FILE_DEVICE_UNKNOWN,
    ExAllocatePoolWithTag,
)
from ...ddi.wdmmdl import IoAllocateMdl, MmBuildMdlForNonPagedPool
from ...kernel.mdl import snapshot
from ...kernel.ntstatus import (
    NT_SUCCESS,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from ...kernel.pool import NonPagedPoolNx
from ...language import N_, _
from ...sim.machine import Machine
from .. import scenarios
from ..answers import COUNT, HEX, STATUS, Several
from ..dma_examples import IO_TYPES, METHODS, pool_buffer_dma
from ..problem import Problem

PAGE_SIZE = 0x1000


def draw_ex1(label: str, rng: random.Random) -> Problem:
    """PFNs of a pool buffer's MDL, and the scatter/gather transfers that cut it."""
    offset = rng.choice([0, 0x2A0, 0x800, 0xFF0])
    length = rng.choice([0x10, 0x1000, 0x1800, 0x2800, 0x3010])
    maximum = rng.choice([0x1000, 0x2000])
    run = pool_buffer_dma(offset, length, "scatter/gather", maximum)
    pfns, transfers = len(run.mdl.pfns), len(run.transfers)
    diagnoses = {
        (-(-length // PAGE_SIZE), transfers): _(
            "That is BYTES_TO_PAGES(length), the pages the "
            "length needs from a page boundary; this buffer starts inside a page, so count the "
            "pages its bytes touch, the partial first and last one included."
        ),
        (pfns, length // maximum): _(
            "The last transfer may be short: the transfers are "
            "length / MaximumLength rounded up, not down."
        ),
        (pfns, pfns): _(
            "A transfer is not one page: it carries up to MaximumLength bytes, "
            "whatever pages they sit on."
        ),
        (pfns, -(-(offset + length) // maximum)): _(
            "A transfer carries the buffer's bytes; the "
            "offset into the first page is not transferred."
        ),
    }
    diagnoses.setdefault(
        (pfns + 1, transfers),
        _(
            "One page too many: the last byte is at va + length − 1; count the pages from the "
            "first byte's to the last byte's."
        ),
    )
    if pfns > 1:
        diagnoses.setdefault(
            (pfns - 1, transfers),
            _(
                "One page short: the first page counts even when the buffer starts inside it, "
                "and the last one even when the buffer ends inside it."
            ),
        )
    if length % maximum == 0:
        diagnoses.setdefault(
            (pfns, transfers + 1),
            _(
                "0x{length:X} is a whole number of MaximumLength (0x{maximum:X}) pieces: there "
                "is no short last transfer."
            ).format(length=length, maximum=maximum),
        )
    diagnoses.pop((pfns, transfers), None)  # before the cut: keep four wrong answers
    diagnoses = dict(list(diagnoses.items())[:4])  # the likeliest four
    return Problem(
        label,
        _(
            "A buffer starts 0x{offset:X} bytes into a page and is 0x{length:X} bytes long. How "
            "many PFNs does its MDL hold, and into how many transfers does a scatter/gather DMA "
            "enabler with MaximumLength 0x{maximum:X} cut it? Answer (pfns, transfers)."
        ).format(offset=offset, length=length, maximum=maximum),
        Several(COUNT, COUNT),
        (pfns, transfers),
        _(
            "PFNs = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, length): count the pages the bytes touch, "
            "including a partial first and last page; transfers = length / MaximumLength, rounded "
            "up (physical scattering changes the elements per transfer, not the transfer count)."
        ),
        diagnoses,
        hint=_("Draw the pages: where the first byte falls, where the last one falls."),
    )


def draw_ex2(label: str, rng: random.Random) -> Problem:
    """StartVa and ByteOffset of the MDL IoAllocateMdl builds for an address."""
    offset = rng.choice([0x10, 0x2A0, 0x800, 0x1008, 0x1FF0, 0x2C40])
    length = rng.choice([0x20, 0x400, 0x1800])
    with Machine("Toaster"):
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 4 * PAGE_SIZE, "afuB")
        va = buffer + offset
        mdl = IoAllocateMdl(va, length, False, False, None)
        MmBuildMdlForNonPagedPool(mdl)
        fields = snapshot(mdl)
    start_va, byte_offset = fields.start_va, fields.byte_offset
    diagnoses = {
        (int(va), 0): _(
            "StartVa is not the buffer's address: it is the start of the page the "
            "buffer starts in (page-aligned), and ByteOffset says how far into that page."
        ),
        (int(va), byte_offset): _(
            "ByteOffset is right, but StartVa is page-aligned: "
            "MmGetMdlVirtualAddress = StartVa + ByteOffset gives the buffer's address back."
        ),
    }
    if offset >= PAGE_SIZE:
        diagnoses[(int(buffer), offset)] = _(
            "The MDL knows nothing of the allocation this address came from: StartVa is the "
            "page the address is in, and ByteOffset (always under 0x1000) the offset in it."
        )
        diagnoses[(start_va, offset)] = _(
            "StartVa is right; ByteOffset is the offset inside that page, under 0x1000, not "
            "the offset from the allocation's start."
        )
    return Problem(
        label,
        _(
            "ExAllocatePoolWithTag gave the driver the page-aligned buffer 0x{buffer:X}. It "
            "calls IoAllocateMdl(buffer + 0x{offset:X}, 0x{length:X}, FALSE, FALSE, NULL) and "
            "MmBuildMdlForNonPagedPool. What are the MDL's StartVa and ByteOffset? Answer "
            "(StartVa, ByteOffset)."
        ).format(buffer=int(buffer), offset=offset, length=length),
        Several(HEX, HEX),
        (start_va, byte_offset),
        _(
            "StartVa = PAGE_ALIGN(va), the start of the page the buffer starts in; ByteOffset = "
            "BYTE_OFFSET(va), its offset inside that page (va & 0xFFF). The length does not "
            "matter to either."
        ),
        diagnoses,
        hint=_("Split the address: the page it is in, and the low three hex digits."),
    )


SENDS = {
    ("read", "buffered"): N_("a 0x{length:X}-byte read to a buffered-I/O device"),
    ("read", "direct"): N_("a 0x{length:X}-byte read to a direct-I/O device"),
    ("read", "neither"): N_("a 0x{length:X}-byte read to a neither-I/O device"),
    ("write", "buffered"): N_("a 0x{length:X}-byte write to a buffered-I/O device"),
    ("write", "direct"): N_("a 0x{length:X}-byte write to a direct-I/O device"),
    ("write", "neither"): N_("a 0x{length:X}-byte write to a neither-I/O device"),
}
"""What the application sends, in words: a read or a write, to a device of each I/O type."""

RETRIEVE = {"Input": WdfRequestRetrieveInputWdmMdl, "Output": WdfRequestRetrieveOutputWdmMdl}


def _retrieving_driver(io_type: int, calls: tuple, results: list):
    """EvtDriverDeviceAdd: a device whose every request is answered by calling the retrieve
    DDIs named in *calls* ("Input"/"Output"), in that order, into *results*."""

    def EvtIo(Queue, Request, *lengths):
        for which in calls:
            status, mdl = RETRIEVE[which](Request)
            results.append((status, snapshot(mdl).byte_count if NT_SUCCESS(status) else 0))
        WdfRequestComplete(Request, STATUS_SUCCESS)

    callbacks = {"EvtIoRead": EvtIo, "EvtIoWrite": EvtIo, "EvtIoDeviceControl": EvtIo}
    return scenarios.queue_driver(io_type, callbacks)


def _mdl_diagnoses(request: str, which: str, calls: tuple, solution, sizes) -> dict:
    """What each plausible wrong (status, ByteCount) means for this request and call."""
    status, count = solution
    said = {}
    refused = (STATUS_INVALID_DEVICE_REQUEST, 0)
    if NT_SUCCESS(status):
        said[refused] = _(
            "There is an MDL here: direct I/O gives the I/O manager's MDL of the locked pages, "
            "and for a buffered system buffer KMDF builds one when the driver asks."
        )
        whole_pages = -(-count // PAGE_SIZE) * PAGE_SIZE
        said[(STATUS_SUCCESS, whole_pages)] = _(
            "ByteCount is the buffer's length in bytes, not rounded to pages: the pages are "
            "what the PFN array counts."
        )
        other = {"Input": "Output", "Output": "Input"}[which]
        if sizes[other] != count:
            said[(STATUS_SUCCESS, sizes[other])] = (
                _("That is the size of the input buffer; ask which buffer this MDL describes.")
                if other == "Input"
                else _(
                    "That is the size of the output buffer; ask which buffer this MDL describes."
                )
            )
    else:
        said[(STATUS_INVALID_PARAMETER, 0)] = _(
            "Nothing is wrong with the call itself; the request has no such MDL to give. "
            "Which status do the retrieve DDIs give for a buffer the request does not have?"
        )
        if "neither" in request or "NEITHER" in request:
            said[(STATUS_SUCCESS, sizes[which])] = _(
                "Neither I/O has no MDL: the driver gets the application's raw addresses, and "
                "nobody locked or described the pages."
            )
        else:
            said[(STATUS_SUCCESS, sizes[which])] = (
                _(
                    "This request has no input buffer for an MDL to describe: a read has "
                    "only an output buffer, a write only an input buffer."
                )
                if which == "Input"
                else _(
                    "This request has no output buffer for an MDL to describe: a read has "
                    "only an output buffer, a write only an input buffer."
                )
            )
    if "METHOD_BUFFERED" in request and len(calls) == 2 and which == calls[1]:
        said[(STATUS_SUCCESS, sizes[which])] = _(
            "KMDF builds one MDL per request for a buffered request and keeps it: ask which "
            "call built it, and for which buffer."
        )
    return said


def draw_ex3(label: str, rng: random.Random) -> Problem:
    """A prediction: the MDL a retrieve DDI returns for one request."""
    if rng.random() < 0.5:
        io_name = rng.choice(sorted(IO_TYPES))
        major = rng.choice(["read", "write"])
        length = rng.choice([0x200, 0x1800, 0x2400])
        io_type = IO_TYPES[io_name]
        request = f"a 0x{length:X}-byte {major} to a {io_name}-I/O device"
        request_text = _(SENDS[(major, io_name)]).format(length=length)
        sizes = {"Input": length, "Output": length}
        calls = (rng.choice(["Input", "Output"]),)
    else:
        method = rng.choice(sorted(METHODS))
        io_type, major = WdfDeviceIoBuffered, "ioctl"
        sizes = {"Input": rng.choice([0x40, 0x100]), "Output": rng.choice([0x800, 0x1800])}
        first = rng.choice(["Input", "Output"])
        calls = rng.choice([(first,), (first, {"Input": "Output", "Output": "Input"}[first])])
        request = f"an IOCTL with {method}"
        request_text = _(
            "an IOCTL with {method} with 0x{input:X} bytes of input and 0x{output:X} of output"
        ).format(method=method, input=sizes["Input"], output=sizes["Output"])
    results = []
    machine = Machine("Toaster")
    with machine:
        machine.add_device(_retrieving_driver(io_type, calls, results))
        app = machine.application()
        if major == "read":
            app.ReadFile(bytearray(sizes["Output"]))
        elif major == "write":
            app.WriteFile(bytes(sizes["Input"]))
        else:
            code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHODS[method], FILE_ANY_ACCESS)
            app.DeviceIoControl(code, bytes(sizes["Input"]), bytearray(sizes["Output"]))
    which = calls[-1]
    status, count = results[-1]
    ddi = f"WdfRequestRetrieve{which}WdmMdl"
    before = (
        _("first calls {first}, then {then}").format(
            first=f"WdfRequestRetrieve{calls[0]}WdmMdl", then=ddi
        )
        if len(calls) == 2
        else _("calls {ddi}").format(ddi=ddi)
    )
    outcome = "\n".join(
        _("{call} -> {status}, an MDL of 0x{count:X} bytes").format(
            call=f"WdfRequestRetrieve{call}WdmMdl", status=repr(got), count=n
        )
        if NT_SUCCESS(got)
        else f"WdfRequestRetrieve{call}WdmMdl -> {got!r}"
        for call, (got, n) in zip(calls, results, strict=True)
    )
    return Problem(
        label,
        _(
            "The application sends {request}. The driver's callback {calls}. What "
            "does {ddi} return: its status, and the ByteCount of the MDL it gives (0 when it "
            "gives none)? Answer (status, ByteCount)."
        ).format(request=request_text, calls=before, ddi=ddi),
        Several(STATUS, HEX),
        (status, count),
        _(
            "Direct I/O (and a direct IOCTL's output) has the I/O manager's MDL of the locked "
            "pages; a buffered system buffer (and every IOCTL's input except METHOD_NEITHER's) "
            "gets one MDL built by KMDF on the first request for it, kept for the request. "
            "Neither I/O has no MDL, and a buffer the request does not carry (a read's input, a "
            "write's output) has none either: STATUS_INVALID_DEVICE_REQUEST."
        ),
        _mdl_diagnoses(request, which, calls, (status, count), sizes),
        hint=_("Which buffer does the request carry, and who made an MDL for it?"),
        prediction=True,
        outcome=outcome,
    )


PROBLEMS = {"03-ex1": draw_ex1, "03-ex2": draw_ex2, "03-ex3": draw_ex3}
