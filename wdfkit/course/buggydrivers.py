"""Lesson 13's broken drivers: for each bug, a maker that writes one variant's Python and C.

``MAKERS[label](variant, rng)`` returns a :class:`Case`: the title, the story (what the driver
is for, what its user saw), the Python and the C of that variant, the :class:`Behaviour` the
fixed driver must show the application, the reason ``grade`` gives for the bug, and the calls a
plain run makes.  The variant (0, 1 or 2) picks which line, which request kind or which object
goes wrong; *rng* picks the numbers (sizes, tags, alignments).  The text is built from templates
whose ``$NAME`` slots the maker fills; :func:`tidy_python` and :func:`tidy_c` lay it out.
:mod:`wdfkit.course.findthebug` turns a case into an exercise.

The C of every variant is our own, written the way the WDK's samples are; the Python beside it
transcribes it DDI for DDI (pure out-parameters come back as a tuple, as everywhere in wdfkit).
Routines of the device's own that the C calls but does not show (``SensorSample``,
``SensorReadSample``, ``DeviceAccept``, ``LoadCalibration``) are one line of Python each.

The bugs, and what catches them (the behaviour is the simulation's, cited where it is modelled):

=====  ===================================================  ====================================
13-01  a request's memory used after completion             0x10D/0x5 (fx/handles.py)
13-02  the target's references held when the original       0x10D/0x3 (FxRequest::Complete's
       completes: WdfRequestReuse missing, late, or only     check, fx/request.py)
       on success
13-03  a preallocated buffer freed while the lower device   0xD5 in the lower device's DPC
       still uses it                                        (kernel/pool.py, special pool)
13-04  pool freed with another tag                          0xC2/0xA (kernel/pool.py)
13-05  pool not freed on a refusing path, or never          0xC4/0x62 at unload (sim/machine.py)
13-06  a failed copy ignored                                0x10D/0x6 (Information past the
                                                            buffer) or a wrong status
13-07  a lookaside list with a request's lifetime (or       0x10D/0x5 at the next read
       deleted after each read)
13-08  an MDL used after its request completed              0x50 (the I/O manager's MDL, freed)
13-09  a resent request without its completion routine      the original never completes
       (KMDF clears the routine as it calls it:
       FxRequestBase::CompleteSubmitted in
       fxrequestbase.cpp)
13-10  aligned parts in a block with no room to align       a wrong status (the copy refused)
13-11  a held read with two owners: completed twice, or     0x10D/0x5 or 0x48
       completed still cancelable
=====  ===================================================  ====================================
"""

import random
import textwrap
from dataclasses import dataclass

from ..kernel.lowerdevice import pattern
from ..kernel.ntstatus import (
    STATUS_BUFFER_TOO_SMALL,
    STATUS_INVALID_BUFFER_SIZE,
    STATUS_IO_DEVICE_ERROR,
    STATUS_SUCCESS,
)
from ..language import _
from .grader import Expected

IOCTL_CODE = 0x222000
"""Every exercise's IOCTL: CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED,
FILE_ANY_ACCESS)."""


@dataclass(frozen=True)
class Behaviour:
    """What the application must see, in the grader's terms (see
    :meth:`wdfkit.course.findthebug.Bug.spec`).

    *operations*: the request kinds the application sends; *sizes*: the range of lengths;
    *expect(op)*: the :class:`~wdfkit.course.grader.Expected` result of one operation that
    nobody cancelled (a cancelled one may also end STATUS_CANCELLED); *ioctl*: the control code
    of IOCTLs; *lower_faults*: whether the lower device fails some batches (only drivers that
    use it)."""

    operations: tuple
    sizes: tuple
    expect: object
    ioctl: int | None = None
    lower_faults: bool = True


@dataclass(frozen=True)
class Step:
    """One call of the application in :meth:`Bug.run`'s session."""

    kind: str  # "read", "write", "ioctl", or "cancel": a read the application cancels
    length: int = 0  # bytes to read, or the output length of an IOCTL
    data: bytes = b""  # bytes to write, or an IOCTL's input

    def describe(self) -> str:
        if self.kind == "read":
            return _("ReadFile({length} bytes)").format(length=self.length)
        if self.kind == "cancel":
            return _("ReadFile({length} bytes), cancelled (CancelIo)").format(length=self.length)
        if self.kind == "write":
            return _("WriteFile({length} bytes)").format(length=len(self.data))
        return _("DeviceIoControl(in {input}, out {output} bytes)").format(
            input=len(self.data), output=self.length
        )


@dataclass(frozen=True)
class Case:
    """One variant of one bug, as a maker builds it."""

    title: str
    story: str
    python: str
    c: str
    behaviour: Behaviour
    reason: str
    session: tuple  # the Steps Bug.run makes
    lower_fail: int | None = None  # Bug.run's lower device fails every transfer with this


# -- the application's expectations -------------------------------------------------------------
def expect_read(op):
    """A read of n bytes gets the device's pattern: 0x00, 0x01, … (n = 0: KMDF completes it)."""
    return Expected(STATUS_SUCCESS, op.length, pattern(op.length))


def expect_forwarded_read(op):
    """A read the driver forwards: the lower device's data, or its failure."""
    failure = op.fail_status
    if failure is not None and op.length:
        return Expected(failure, 0)
    return expect_read(op)


def expect_forwarded_write(op):
    """A write the driver forwards: all of it written, or the lower device's failure."""
    failure = op.fail_status
    if failure is not None and op.length:
        return Expected(failure, 0)
    return Expected(STATUS_SUCCESS, op.length)


def expect_echo_ioctl(op):
    """IOCTL echo: the input comes back in the output; an empty buffer or an output shorter
    than the input is STATUS_BUFFER_TOO_SMALL."""
    data = op.input
    if not data or op.length == 0 or op.length < len(data):
        return Expected(STATUS_BUFFER_TOO_SMALL, 0)
    return Expected(STATUS_SUCCESS, len(data), data)


def expect_forwarded_ioctl(op):
    """An IOCTL the driver forwards: the lower device fills the output with its pattern; an
    empty input or output is STATUS_BUFFER_TOO_SMALL."""
    if not op.input or op.length == 0:
        return Expected(STATUS_BUFFER_TOO_SMALL, 0)
    failure = op.fail_status
    if failure is not None:
        return Expected(failure, 0)
    return Expected(STATUS_SUCCESS, op.length, pattern(op.length))


def expect_write(op):
    """A write the driver consumes itself: all of it taken."""
    return Expected(STATUS_SUCCESS, op.length)


# -- the text of a variant: shared pieces -----------------------------------------------------
C_BLOCK_STARTS = (
    "VOID",
    "NTSTATUS",
    "typedef ",
    "static ",
    "#define",
    "WDF_DECLARE",
    "EVT_WDF",
    "//",
)


def tidy_c(text: str) -> str:
    """*text* with one blank line before each top-level declaration, as the WDK samples lay C
    out (consecutive #defines and a comment above what it describes stay together)."""
    out: list[str] = []
    for line in text.strip("\n").split("\n"):
        if line.startswith(C_BLOCK_STARTS) and out and out[-1] != "":
            previous = out[-1]
            together = previous.startswith("//") or (
                line.startswith("#define") and previous.startswith("#define")
            )
            if not together:
                out.append("")
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def tidy_python(text: str) -> str:
    """*text* with the blank lines ruff's formatter puts between top-level statements: two
    around a top-level def or class, at most two anywhere, none at the start."""
    out: list[str] = []
    in_block = False  # inside a top-level def or class
    for line in text.strip("\n").split("\n"):
        top = bool(line) and not line[0].isspace()
        if top and not line.startswith((")", "]", "}")):
            starts_block = line.startswith(("def ", "class ", "@"))
            if (starts_block or in_block) and out:
                while out and out[-1] == "":
                    out.pop()
                if not out[-1].startswith("@"):
                    out += ["", ""]
            in_block = starts_block
        if line == "" and len(out) >= 2 and out[-1] == out[-2] == "":
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _text(template: str, **values) -> str:
    """*template* dedented, with each ``$name`` replaced by its value (C has no ``$``)."""
    text = textwrap.dedent(template).lstrip("\n")
    for name in sorted(values, key=len, reverse=True):
        text = text.replace("$" + name, str(values[name]))
    return text


_QUEUE_CALLBACKS_PY = {
    "read": "    config.EvtIoRead = EvtIoRead\n",
    "write": "    config.EvtIoWrite = EvtIoWrite\n",
    "ioctl": "    config.EvtIoDeviceControl = EvtIoDeviceControl\n",
}
_QUEUE_CALLBACKS_C = {
    "read": "    config.EvtIoRead = EvtIoRead;\n",
    "write": "    config.EvtIoWrite = EvtIoWrite;\n",
    "ioctl": "    config.EvtIoDeviceControl = EvtIoDeviceControl;\n",
}


def _device_add_py(kinds, io_type="WdfDeviceIoBuffered", context=False, setup="") -> str:
    """EvtDriverDeviceAdd in Python: the device, its context, *setup*, the default queue."""
    lines = [
        "def EvtDriverDeviceAdd(Driver, DeviceInit):",
        f"    WdfDeviceInitSetIoType(DeviceInit, {io_type})",
    ]
    if context:
        lines += [
            "    attributes = WDF_OBJECT_ATTRIBUTES()",
            "    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, DEVICE_CONTEXT)",
            "    status, device = WdfDeviceCreate(DeviceInit, attributes)",
        ]
    else:
        lines.append("    status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)")
    lines += ["    if not NT_SUCCESS(status):", "        return status"]
    text = "\n".join(lines) + "\n" + setup
    text += "    config = WDF_IO_QUEUE_CONFIG()\n"
    text += "    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchSequential)\n"
    text += "".join(_QUEUE_CALLBACKS_PY[kind] for kind in kinds)
    text += "    status, queue = WdfIoQueueCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)\n"
    return text + "    return status\n"


def _device_add_c(kinds, io_type="WdfDeviceIoBuffered", context=False, setup="") -> str:
    """EvtDriverDeviceAdd in C, the same steps as :func:`_device_add_py`."""
    text = (
        "NTSTATUS\nEvtDriverDeviceAdd(\n    _In_ WDFDRIVER Driver,\n"
        "    _Inout_ PWDFDEVICE_INIT DeviceInit\n    )\n{\n"
        "    NTSTATUS status;\n    WDFDEVICE device;\n    WDF_IO_QUEUE_CONFIG config;\n"
        "    WDFQUEUE queue;\n"
    )
    if context:
        text += "    WDF_OBJECT_ATTRIBUTES attributes;\n"
    text += "\n    UNREFERENCED_PARAMETER(Driver);\n\n"
    text += f"    WdfDeviceInitSetIoType(DeviceInit, {io_type});\n"
    if context:
        text += (
            "    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, DEVICE_CONTEXT);\n"
            "    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);\n"
        )
    else:
        text += "    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);\n"
    text += "    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n" + setup
    text += "    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchSequential);\n"
    text += "".join(_QUEUE_CALLBACKS_C[kind] for kind in kinds)
    text += "    return WdfIoQueueCreate(device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);\n}\n"
    return text


_IOCTL_PY = (
    "IOCTL_SENSOR_$NAME = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)\n"
)
_IOCTL_C = (
    "#define IOCTL_SENSOR_$NAME CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, "
    "FILE_ANY_ACCESS)\n"
)
_STATS_PY = '''
class DEVICE_CONTEXT:
    """The device's statistics."""

    Requests = 0  # requests completed
    Bytes = 0  # bytes they carried


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")
'''
_STATS_C = """
typedef struct _DEVICE_CONTEXT {
    ULONG Requests;     // requests completed
    SIZE_T Bytes;       // bytes they carried
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)
"""


# -- 13-01: a request's memory used after completion ---------------------------------------------
_HANDLE_AFTER_COMPLETION_1 = """
def EvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    sample = bytes(i & 0xFF for i in range(Length))  # what the sensor measured
    status = WdfMemoryCopyFromBuffer(memory, 0, sample, Length)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
    buffer, bufferSize = WdfMemoryGetBuffer(memory)
    context.Requests += 1
    context.Bytes += bufferSize


"""


_HANDLE_AFTER_COMPLETION_2 = """
VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    PDEVICE_CONTEXT context;
    size_t bufferSize;

    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    status = WdfMemoryCopyFromBuffer(memory, 0, SensorSample(Length), Length);
    WdfRequestCompleteWithInformation(Request, status,
                                      NT_SUCCESS(status) ? Length : 0);
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue));
    (VOID) WdfMemoryGetBuffer(memory, &bufferSize);
    context->Requests++;
    context->Bytes += bufferSize;
}

"""


_HANDLE_AFTER_COMPLETION_3 = """
def EvtReadCompletion(Request, Target, Params, Context):
    memory = Context  # the read's output memory, passed by EvtIoRead
    context = GetDeviceContext(WdfIoQueueGetDevice(WdfRequestGetIoQueue(Request)))
    status = Params.IoStatus.Status
    WdfRequestCompleteWithInformation(Request, status, Params.IoStatus.Information)
    buffer, bufferSize = WdfMemoryGetBuffer(memory)
    context.Requests += 1
    context.Bytes += bufferSize


def EvtIoRead(Queue, Request, Length):
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status):
        status = WdfIoTargetFormatRequestForRead(ioTarget, Request, memory, None, None)
    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(Request, EvtReadCompletion, memory)
        if WdfRequestSend(Request, ioTarget, WDF_NO_SEND_OPTIONS):
            return
        status = WdfRequestGetStatus(Request)
    WdfRequestComplete(Request, status)


"""


_HANDLE_AFTER_COMPLETION_4 = """
VOID
EvtReadCompletion(
    _In_ WDFREQUEST Request,
    _In_ WDFIOTARGET Target,
    _In_ PWDF_REQUEST_COMPLETION_PARAMS Params,
    _In_ WDFCONTEXT Context
    )
{
    WDFMEMORY memory = (WDFMEMORY)Context;
    PDEVICE_CONTEXT context;
    size_t bufferSize;

    UNREFERENCED_PARAMETER(Target);
    context = GetDeviceContext(WdfIoQueueGetDevice(WdfRequestGetIoQueue(Request)));
    WdfRequestCompleteWithInformation(Request, Params->IoStatus.Status,
                                      Params->IoStatus.Information);
    (VOID) WdfMemoryGetBuffer(memory, &bufferSize);
    context->Requests++;
    context->Bytes += bufferSize;
}

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    WDFIOTARGET ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue));

    UNREFERENCED_PARAMETER(Length);
    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (NT_SUCCESS(status)) {
        status = WdfIoTargetFormatRequestForRead(ioTarget, Request, memory,
                                                 NULL, NULL);
    }
    if (NT_SUCCESS(status)) {
        WdfRequestSetCompletionRoutine(Request, EvtReadCompletion, memory);
        if (WdfRequestSend(Request, ioTarget, WDF_NO_SEND_OPTIONS)) {
            return;
        }
        status = WdfRequestGetStatus(Request);
    }
    WdfRequestComplete(Request, status);
}

"""


_HANDLE_AFTER_COMPLETION_5 = """
def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    if IoControlCode != IOCTL_SENSOR_ECHO:
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST)
        return
    status, inMemory = WdfRequestRetrieveInputMemory(Request)
    if NT_SUCCESS(status):
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status) and OutputBufferLength < InputBufferLength:
        status = STATUS_BUFFER_TOO_SMALL
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    inBuffer, inSize = WdfMemoryGetBuffer(inMemory)
    status = WdfMemoryCopyFromBuffer(outMemory, 0, inBuffer, InputBufferLength)
    WdfRequestCompleteWithInformation(Request, status, InputBufferLength)
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
    command = bytearray(1)
    WdfMemoryCopyToBuffer(inMemory, 0, command, 1)  # the command byte, for the log
    context.Requests += 1
    context.Bytes += InputBufferLength


"""


_HANDLE_AFTER_COMPLETION_6 = """
VOID
EvtIoDeviceControl(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t OutputBufferLength,
    _In_ size_t InputBufferLength,
    _In_ ULONG IoControlCode
    )
{
    NTSTATUS status;
    WDFMEMORY inMemory, outMemory;
    PVOID inBuffer;
    PDEVICE_CONTEXT context;
    UCHAR command;

    if (IoControlCode != IOCTL_SENSOR_ECHO) {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    status = WdfRequestRetrieveInputMemory(Request, &inMemory);
    if (NT_SUCCESS(status)) {
        status = WdfRequestRetrieveOutputMemory(Request, &outMemory);
    }
    if (NT_SUCCESS(status) && OutputBufferLength < InputBufferLength) {
        status = STATUS_BUFFER_TOO_SMALL;
    }
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    inBuffer = WdfMemoryGetBuffer(inMemory, NULL);
    status = WdfMemoryCopyFromBuffer(outMemory, 0, inBuffer, InputBufferLength);
    WdfRequestCompleteWithInformation(Request, status, InputBufferLength);
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue));
    (VOID) WdfMemoryCopyToBuffer(inMemory, 0, &command, 1); // for the log
    context->Requests++;
    context->Bytes += InputBufferLength;
}

"""


def _bug_handle_after_completion(variant: int, rng: random.Random) -> Case:
    size = rng.choice((24, 32, 48, 64))
    if variant == 0:
        py = _STATS_PY + _text(_HANDLE_AFTER_COMPLETION_1) + _device_add_py(["read"], context=True)
        c = _STATS_C + _text(_HANDLE_AFTER_COMPLETION_2) + _device_add_c(["read"], context=True)
        behaviour = Behaviour(("read",), (0, size), expect_read, lower_faults=False)
        story = _(
            "A sensor driver answers each read with the latest samples and keeps statistics "
            "of what it delivered. The first read of the test application never came back: "
            "the machine stopped."
        )
        session = (Step("read", 16), Step("read", 16))
    elif variant == 1:
        py = _STATS_PY + _text(_HANDLE_AFTER_COMPLETION_3) + _device_add_py(["read"], context=True)
        c = _STATS_C + _text(_HANDLE_AFTER_COMPLETION_4) + _device_add_c(["read"], context=True)
        behaviour = Behaviour(("read",), (0, size), expect_forwarded_read)
        story = _(
            "A filter driver passes reads down to the device below and counts the bytes that "
            "went up. With the filter installed, the first read stopped the machine."
        )
        session = (Step("read", 16), Step("read", 16))
    else:
        py = (
            _IOCTL_PY.replace("$NAME", "ECHO")
            + _STATS_PY
            + _text(_HANDLE_AFTER_COMPLETION_5)
            + _device_add_py(["ioctl"], context=True)
        )
        c = (
            _IOCTL_C.replace("$NAME", "ECHO")
            + _STATS_C
            + _text(_HANDLE_AFTER_COMPLETION_6)
            + _device_add_c(["ioctl"], context=True)
        )
        behaviour = Behaviour(
            ("ioctl",), (0, size), expect_echo_ioctl, ioctl=IOCTL_CODE, lower_faults=False
        )
        story = _(
            "A test device echoes every IOCTL's input back in its output, and keeps count. "
            "The first IOCTL stopped the machine."
        )
        session = (Step("ioctl", 16, b"ping"),)
    return Case(
        _("A request's memory used after completion"),
        story,
        py,
        c,
        behaviour,
        "bug check 0x10D/0x5",
        session,
    )


# -- 13-02: WdfRequestReuse missing before the original is completed ------------------------------
_REUSE_PY = """
def EvtLowerDone(Request, Target, Params, Context):
    original = Context  # the application's request, whose memory Request borrowed
    status, information = Params.IoStatus.Status, Params.IoStatus.Information
$BEFORE    WdfRequestCompleteWithInformation(original, status, information)
$AFTER    WdfObjectDelete(Request)


def SendCopy(Queue, Request, Format):
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    status, newRequest = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    status = Format(ioTarget, newRequest)
    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(newRequest, EvtLowerDone, Request)
        if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
            return
        status = WdfRequestGetStatus(newRequest)
    WdfObjectDelete(newRequest)
    WdfRequestComplete(Request, status)


"""
_REUSE_READ_PY = """def EvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return

    def Format(ioTarget, newRequest):
        return WdfIoTargetFormatRequestForRead(ioTarget, newRequest, memory, None, None)

    SendCopy(Queue, Request, Format)


"""
_REUSE_IOCTL_PY = """\
def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    status, inMemory = WdfRequestRetrieveInputMemory(Request)
    if NT_SUCCESS(status):
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return

    def Format(ioTarget, newRequest):
        return WdfIoTargetFormatRequestForIoctl(
            ioTarget, newRequest, IoControlCode, inMemory, None, outMemory, None
        )

    SendCopy(Queue, Request, Format)


"""
_REUSE_PARAMS_PY = """    params = WDF_REQUEST_REUSE_PARAMS()
    WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
    WdfRequestReuse(Request, params)  # gives back the target's references
"""
_REUSE_C = """
typedef NTSTATUS (*PFN_FORMAT)(WDFIOTARGET IoTarget, WDFREQUEST NewRequest, PVOID Context);

VOID
EvtLowerDone(
    _In_ WDFREQUEST Request,
    _In_ WDFIOTARGET Target,
    _In_ PWDF_REQUEST_COMPLETION_PARAMS Params,
    _In_ WDFCONTEXT Context
    )
{
    WDFREQUEST original = (WDFREQUEST)Context; // its memory is what Request borrowed
    NTSTATUS status = Params->IoStatus.Status;  // saved: WdfRequestReuse clears *Params
    ULONG_PTR information = Params->IoStatus.Information;
    WDF_REQUEST_REUSE_PARAMS params;

    UNREFERENCED_PARAMETER(Target);
$BEFORE    WdfRequestCompleteWithInformation(original, status, information);
$AFTER    WdfObjectDelete(Request);
}

//
// Send a request of our own that uses the application's buffers; Format formats it.
//
VOID
SendCopy(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ PFN_FORMAT Format,
    _In_ PVOID FormatContext
    )
{
    NTSTATUS status;
    WDFREQUEST newRequest;
    WDFIOTARGET ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue));

    status = WdfRequestCreate(WDF_NO_OBJECT_ATTRIBUTES, ioTarget, &newRequest);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    status = Format(ioTarget, newRequest, FormatContext);
    if (NT_SUCCESS(status)) {
        WdfRequestSetCompletionRoutine(newRequest, EvtLowerDone, Request);
        if (WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS)) {
            return;
        }
        status = WdfRequestGetStatus(newRequest);
    }
    WdfObjectDelete(newRequest);
    WdfRequestComplete(Request, status);
}

"""
_REUSE_READ_C = """NTSTATUS
FormatRead(
    _In_ WDFIOTARGET IoTarget,
    _In_ WDFREQUEST NewRequest,
    _In_ PVOID Memory
    )
{
    return WdfIoTargetFormatRequestForRead(IoTarget, NewRequest, (WDFMEMORY)Memory,
                                           NULL, NULL);
}

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;

    UNREFERENCED_PARAMETER(Length);
    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    SendCopy(Queue, Request, FormatRead, memory);
}

"""
_REUSE_IOCTL_C = """typedef struct _IOCTL_BUFFERS {
    ULONG IoControlCode;
    WDFMEMORY InMemory;
    WDFMEMORY OutMemory;
} IOCTL_BUFFERS, *PIOCTL_BUFFERS;

NTSTATUS
FormatIoctl(
    _In_ WDFIOTARGET IoTarget,
    _In_ WDFREQUEST NewRequest,
    _In_ PVOID Buffers
    )
{
    PIOCTL_BUFFERS b = (PIOCTL_BUFFERS)Buffers;

    return WdfIoTargetFormatRequestForIoctl(IoTarget, NewRequest, b->IoControlCode,
                                            b->InMemory, NULL, b->OutMemory, NULL);
}

VOID
EvtIoDeviceControl(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t OutputBufferLength,
    _In_ size_t InputBufferLength,
    _In_ ULONG IoControlCode
    )
{
    NTSTATUS status;
    IOCTL_BUFFERS buffers;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    buffers.IoControlCode = IoControlCode;
    status = WdfRequestRetrieveInputMemory(Request, &buffers.InMemory);
    if (NT_SUCCESS(status)) {
        status = WdfRequestRetrieveOutputMemory(Request, &buffers.OutMemory);
    }
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    SendCopy(Queue, Request, FormatIoctl, &buffers);
}

"""
_REUSE_PARAMS_C = """\
    WDF_REQUEST_REUSE_PARAMS_INIT(&params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
    WdfRequestReuse(Request, &params); // gives back the target's references
"""


def _bug_reuse_missing(variant: int, rng: random.Random) -> Case:
    size = rng.choice((32, 48, 64, 96))
    kind = ("read", "ioctl", "read")[variant]
    before_py = before_c = ""
    after_py = _REUSE_PARAMS_PY if variant == 2 else ""  # too late: after the completion
    after_c = _REUSE_PARAMS_C if variant == 2 else ""
    if variant == 1:  # in time, but only when the lower device succeeded
        before_py = "    if NT_SUCCESS(status):\n" + textwrap.indent(_REUSE_PARAMS_PY, "    ")
        before_c = (
            "    if (NT_SUCCESS(status)) {\n" + textwrap.indent(_REUSE_PARAMS_C, "    ") + "    }\n"
        )
    py = _REUSE_PY.replace("$BEFORE", before_py).replace("$AFTER", after_py)
    c = _REUSE_C.replace("$BEFORE", before_c).replace("$AFTER", after_c)
    if kind == "read":
        py += _REUSE_READ_PY
        c += _REUSE_READ_C
        behaviour = Behaviour(("read",), (0, size), expect_forwarded_read)
        session = (Step("read", 16),)
    else:
        py += _REUSE_IOCTL_PY
        c += _REUSE_IOCTL_C
        behaviour = Behaviour(("ioctl",), (0, size), expect_forwarded_ioctl, ioctl=IOCTL_CODE)
        session = (Step("ioctl", 16, b"query"),)
    py = py.lstrip("\n") + _device_add_py([kind])
    c = c.lstrip("\n") + _device_add_c([kind])
    if variant == 0:
        story = _(
            "A filter driver sends each application read down in a request of its own that "
            "borrows the application's buffers, and completes the application's read when its "
            "own request comes back. The first one stopped the machine."
        )
    elif variant == 1:
        story = _(
            "A filter driver sends each application IOCTL down in a request of its own that "
            "borrows the application's buffers, and completes the application's IOCTL when its "
            "own request comes back. Test runs on a healthy device pass; the first run on a "
            "failing one stopped the machine."
        )
    else:
        story = _(
            "A filter driver sends each application read down in a request of its own that "
            "borrows the application's buffers, and completes the application's read when its "
            "own request comes back. Lesson 09 says to call WdfRequestReuse, and the driver "
            "does; still, the first read stopped the machine."
        )
    session_fail = STATUS_IO_DEVICE_ERROR if variant == 1 else None
    return Case(
        _("The I/O target's references still held at completion"),
        story,
        py,
        c,
        behaviour,
        "bug check 0x10D/0x3",
        session,
        session_fail,
    )


# -- 13-03: a preallocated buffer freed while the I/O is in flight ------------------------------
_PREALLOCATED_PY = '''
TAG = "$TAG"


class TRANSFER:
    """The context of each request the driver creates."""

    Original = None  # the application's request
    Buffer = None  # the driver's pool buffer behind Memory
    Memory = None  # WDFMEMORY over Buffer (WdfMemoryCreatePreallocated)


GetTransfer = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TRANSFER, "GetTransfer")


def EvtTransferDone(Request, Target, Params, Context):
    transfer = GetTransfer(Request)
    status, information = Params.IoStatus.Status, Params.IoStatus.Information
$COPY_OUT    original = transfer.Original
    WdfObjectDelete(transfer.Memory)
$FREE_LATE    WdfObjectDelete(Request)
    WdfRequestCompleteWithInformation(original, status, information if NT_SUCCESS(status) else 0)


def $EVT(Queue, Request, Length):
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, TRANSFER)
    status, newRequest = WdfRequestCreate(attributes, ioTarget)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    transfer = GetTransfer(newRequest)
    transfer.Original = Request
    transfer.Buffer = ExAllocatePoolWithTag(NonPagedPoolNx, Length, TAG)
    if transfer.Buffer is None:
        WdfObjectDelete(newRequest)
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
    status, transfer.Memory = WdfMemoryCreatePreallocated(
        WDF_NO_OBJECT_ATTRIBUTES, transfer.Buffer, Length
    )
$COPY_IN$FREE_AFTER_CREATE    if NT_SUCCESS(status):
        status = $FORMAT(ioTarget, newRequest, transfer.Memory, None, None)
$FREE_AFTER_FORMAT    if NT_SUCCESS(status):
        WdfRequestSetCompletionRoutine(newRequest, EvtTransferDone, WDF_NO_CONTEXT)
        if WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS):
$FREE_AFTER_SEND            return
        status = WdfRequestGetStatus(newRequest)
    if transfer.Memory is not None:
        WdfObjectDelete(transfer.Memory)
$FREE_ON_ERROR    WdfObjectDelete(newRequest)
    WdfRequestComplete(Request, status)


'''
_PREALLOCATED_C = """
#define TAG '$CTAG'

typedef struct _TRANSFER {
    WDFREQUEST Original;    // the application's request
    PVOID Buffer;           // the driver's pool buffer behind Memory
    WDFMEMORY Memory;       // WDFMEMORY over Buffer (WdfMemoryCreatePreallocated)
} TRANSFER, *PTRANSFER;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(TRANSFER, GetTransfer)

VOID
EvtTransferDone(
    _In_ WDFREQUEST Request,
    _In_ WDFIOTARGET Target,
    _In_ PWDF_REQUEST_COMPLETION_PARAMS Params,
    _In_ WDFCONTEXT Context
    )
{
    PTRANSFER transfer = GetTransfer(Request);
    NTSTATUS status = Params->IoStatus.Status;
    ULONG_PTR information = Params->IoStatus.Information;
    WDFREQUEST original = transfer->Original;

    UNREFERENCED_PARAMETER(Target);
    UNREFERENCED_PARAMETER(Context);
$CCOPY_OUT    WdfObjectDelete(transfer->Memory);
$CFREE_LATE    WdfObjectDelete(Request);
    WdfRequestCompleteWithInformation(original, status, NT_SUCCESS(status) ? information : 0);
}

VOID
$EVT(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFREQUEST newRequest;
    PTRANSFER transfer;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFIOTARGET ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue));

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, TRANSFER);
    status = WdfRequestCreate(&attributes, ioTarget, &newRequest);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    transfer = GetTransfer(newRequest);
    transfer->Original = Request;
    transfer->Buffer = ExAllocatePoolWithTag(NonPagedPoolNx, Length, TAG);
    if (transfer->Buffer == NULL) {
        WdfObjectDelete(newRequest);
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
    status = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, transfer->Buffer, Length,
                                         &transfer->Memory);
$CCOPY_IN$CFREE_AFTER_CREATE    if (NT_SUCCESS(status)) {
        status = $FORMAT(ioTarget, newRequest, transfer->Memory,
                 $PADNULL, NULL);
    }
$CFREE_AFTER_FORMAT    if (NT_SUCCESS(status)) {
        WdfRequestSetCompletionRoutine(newRequest, EvtTransferDone, WDF_NO_CONTEXT);
        if (WdfRequestSend(newRequest, ioTarget, WDF_NO_SEND_OPTIONS)) {
$CFREE_AFTER_SEND            return;
        }
        status = WdfRequestGetStatus(newRequest);
    }
    if (transfer->Memory != NULL) {
        WdfObjectDelete(transfer->Memory);
    }
$CFREE_ON_ERROR    WdfObjectDelete(newRequest);
    WdfRequestComplete(Request, status);
}

"""


def _tag(rng: random.Random, first: str = "B") -> str:
    """A pool tag, written as C's character literal is (``'1gaT'`` shows as ``Tag1`` in
    !poolused): *first* and three letters from *rng*, reversed."""
    shown = first + "".join(rng.choice("abcdefghkmnprstuvwxyz") for _letter in range(3))
    return shown[::-1]


def _bug_preallocated_freed(variant: int, rng: random.Random) -> Case:
    tag = ctag = _tag(rng)
    size = rng.choice((32, 64, 128))
    kind = ("read", "write", "read")[variant]
    free_py = "    ExFreePoolWithTag(transfer.Buffer, TAG)  # $WHY\n"
    free_c = "    ExFreePoolWithTag(transfer->Buffer, TAG); // $WHY\n"
    slots = dict.fromkeys(
        ["FREE_AFTER_CREATE", "FREE_AFTER_FORMAT", "FREE_AFTER_SEND", "FREE_LATE", "FREE_ON_ERROR"],
        "",
    )
    if variant == 1:  # freed as soon as the memory object exists
        why = "the memory object has it now"
        slots["FREE_AFTER_CREATE"] = "__FREE__"
    elif variant == 0:  # freed once the request is formatted
        why = "formatted: the request has it now"
        slots["FREE_AFTER_FORMAT"] = "__FREE__"
    else:  # freed once the request is on its way
        why = "sent: the device below has it now"
        slots["FREE_AFTER_SEND"] = "__FREE__"
        free_py, free_c = "        " + free_py, "        " + free_c
    py = _PREALLOCATED_PY
    c = _PREALLOCATED_C
    for slot, value in slots.items():
        py = py.replace("$" + slot, value.replace("__FREE__", free_py).replace("$WHY", why))
        c = c.replace("$C" + slot, value.replace("__FREE__", free_c).replace("$WHY", why))
    if kind == "read":
        copy_out_py = (
            "    if NT_SUCCESS(status):\n"
            "        status, outMemory = WdfRequestRetrieveOutputMemory(transfer.Original)\n"
            "    if NT_SUCCESS(status):\n"
            "        status = WdfMemoryCopyFromBuffer(outMemory, 0, transfer.Buffer, information)\n"
        )
        copy_out_c = (
            "    if (NT_SUCCESS(status)) {\n"
            "        status = WdfRequestRetrieveOutputMemory(original, &outMemory);\n"
            "    }\n"
            "    if (NT_SUCCESS(status)) {\n"
            "        status = WdfMemoryCopyFromBuffer(outMemory, 0, transfer->Buffer,\n"
            "                                         information);\n"
            "    }\n"
        )
        copy_in_py = copy_in_c = ""
        fmt, evt = "WdfIoTargetFormatRequestForRead", "EvtIoRead"
        behaviour = Behaviour(("read",), (0, size), expect_forwarded_read)
        session = (Step("read", 16),)
    else:
        copy_out_py = copy_out_c = ""
        copy_in_py = (
            "    if NT_SUCCESS(status):\n"
            "        status, inMemory = WdfRequestRetrieveInputMemory(Request)\n"
            "    if NT_SUCCESS(status):\n"
            "        status = WdfMemoryCopyToBuffer(inMemory, 0, transfer.Buffer, Length)\n"
        )
        copy_in_c = (
            "    if (NT_SUCCESS(status)) {\n"
            "        status = WdfRequestRetrieveInputMemory(Request, &inMemory);\n"
            "    }\n"
            "    if (NT_SUCCESS(status)) {\n"
            "        status = WdfMemoryCopyToBuffer(inMemory, 0, transfer->Buffer, Length);\n"
            "    }\n"
        )
        fmt, evt = "WdfIoTargetFormatRequestForWrite", "EvtIoWrite"
        behaviour = Behaviour(("write",), (0, size), expect_forwarded_write)
        session = (Step("write", 0, b"firmware block 1"),)
    py = (
        py.replace("$COPY_OUT", copy_out_py)
        .replace("$COPY_IN", copy_in_py)
        .replace("$FORMAT", fmt)
        .replace("$EVT", evt)
        .replace("$TAG", tag)
    )
    c = (
        c.replace("$PAD", " " * (len(fmt) + 1))
        .replace("$CCOPY_OUT", copy_out_c)
        .replace("$CCOPY_IN", copy_in_c)
        .replace("$FORMAT", fmt)
        .replace("$EVT", evt)
        .replace("$CTAG", ctag)
    )
    if kind == "write":
        c = c.replace(
            "    WDFREQUEST newRequest;\n",
            "    WDFREQUEST newRequest;\n    WDFMEMORY inMemory;\n",
            1,
        )
    else:
        c = c.replace(
            "    WDFREQUEST original = transfer->Original;\n",
            "    WDFREQUEST original = transfer->Original;\n    WDFMEMORY outMemory;\n",
        )
    py = py.lstrip("\n") + _device_add_py([kind])
    c = c.lstrip("\n") + _device_add_c([kind])
    if kind == "read":
        story = _(
            "A driver stages every read through a buffer of its own: it allocates it from pool, "
            "wraps it in a memory object and sends its own request to the device below. On the "
            "developer's machine it seemed to work; with Driver Verifier on, the first read "
            "stopped the machine — in a DPC, not in the driver's code."
        )
    else:
        story = _(
            "A driver stages every write through a buffer of its own: it allocates it from "
            "pool, wraps it in a memory object and sends its own request to the device below. "
            "On the developer's machine it seemed to work; with Driver Verifier on, the first "
            "write stopped the machine — in a DPC, not in the driver's code."
        )
    return Case(
        _("A preallocated buffer freed while its I/O is in flight"),
        story,
        py,
        c,
        behaviour,
        "bug check 0xD5",
        session,
    )


# -- 13-04 and 13-05: a scratch buffer from pool, freed wrongly or not at all --------------------
_SCRATCH_READ_PY = """
def EvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, Length, $ALLOC_TAG)
    if scratch is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
$CHECK    RtlCopyMemory(scratch, bytes(i & 0xFF for i in range(Length)), Length)  # the sample
    status = WdfMemoryCopyFromBuffer(memory, 0, scratch, Length)
    ExFreePoolWithTag(scratch, $FREE_TAG)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)


"""
_SCRATCH_READ_C = """
VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    PUCHAR scratch;

    UNREFERENCED_PARAMETER(Queue);
    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, Length, $ALLOC_TAG);
    if (scratch == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
$CHECK    SensorReadSample(scratch, Length);    // 0x00, 0x01, ... from the sensor
    status = WdfMemoryCopyFromBuffer(memory, 0, scratch, Length);
    ExFreePoolWithTag(scratch, $FREE_TAG);
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? Length : 0);
}

"""
_SCRATCH_WRITE_PY = """
def EvtIoWrite(Queue, Request, Length):
    status, memory = WdfRequestRetrieveInputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, Length, $ALLOC_TAG)
    if scratch is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
$CHECK    status = WdfMemoryCopyToBuffer(memory, 0, scratch, Length)  # to the device
    ExFreePoolWithTag(scratch, $FREE_TAG)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)


"""
_SCRATCH_WRITE_C = """
VOID
EvtIoWrite(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    PUCHAR scratch;

    UNREFERENCED_PARAMETER(Queue);
    status = WdfRequestRetrieveInputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, Length, $ALLOC_TAG);
    if (scratch == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
$CHECK    status = WdfMemoryCopyToBuffer(memory, 0, scratch, Length); // to the device
    ExFreePoolWithTag(scratch, $FREE_TAG);
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? Length : 0);
}

"""
_SCRATCH_IOCTL_PY = """
def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    if IoControlCode != IOCTL_SENSOR_ECHO:
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST)
        return
    status, inMemory = WdfRequestRetrieveInputMemory(Request)
    if NT_SUCCESS(status):
        status, outMemory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, InputBufferLength, $ALLOC_TAG)
    if scratch is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
$CHECK    status = WdfMemoryCopyToBuffer(inMemory, 0, scratch, InputBufferLength)
    if NT_SUCCESS(status):
        status = WdfMemoryCopyFromBuffer(outMemory, 0, scratch, InputBufferLength)
    ExFreePoolWithTag(scratch, $FREE_TAG)
    WdfRequestCompleteWithInformation(
        Request, status, InputBufferLength if NT_SUCCESS(status) else 0
    )


"""
_SCRATCH_IOCTL_C = """
VOID
EvtIoDeviceControl(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t OutputBufferLength,
    _In_ size_t InputBufferLength,
    _In_ ULONG IoControlCode
    )
{
    NTSTATUS status;
    WDFMEMORY inMemory, outMemory;
    PUCHAR scratch;

    UNREFERENCED_PARAMETER(Queue);
    if (IoControlCode != IOCTL_SENSOR_ECHO) {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    status = WdfRequestRetrieveInputMemory(Request, &inMemory);
    if (NT_SUCCESS(status)) {
        status = WdfRequestRetrieveOutputMemory(Request, &outMemory);
    }
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    scratch = ExAllocatePoolWithTag(NonPagedPoolNx, InputBufferLength, $ALLOC_TAG);
    if (scratch == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
$CHECK    status = WdfMemoryCopyToBuffer(inMemory, 0, scratch, InputBufferLength);
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCopyFromBuffer(outMemory, 0, scratch, InputBufferLength);
    }
    ExFreePoolWithTag(scratch, $FREE_TAG);
    WdfRequestCompleteWithInformation(Request, status,
                                      NT_SUCCESS(status) ? InputBufferLength : 0);
}

"""
_SCRATCH = {
    "read": (_SCRATCH_READ_PY, _SCRATCH_READ_C),
    "write": (_SCRATCH_WRITE_PY, _SCRATCH_WRITE_C),
    "ioctl": (_SCRATCH_IOCTL_PY, _SCRATCH_IOCTL_C),
}


def _scratch_driver(kind, head_py, head_c, check_py="", check_c="", **tags):
    """The scratch-buffer driver for *kind*, with its head (tags), a check before the copy and
    the tags of the allocation and the free."""
    py, c = _SCRATCH[kind]
    py = py.replace("$CHECK", check_py)
    c = c.replace("$CHECK", check_c)
    for name, (tag_py, tag_c) in tags.items():
        py, c = py.replace("$" + name, tag_py), c.replace("$" + name, tag_c)
    if kind == "ioctl":
        head_py = _IOCTL_PY.replace("$NAME", "ECHO") + head_py
        head_c = _IOCTL_C.replace("$NAME", "ECHO") + head_c
    return head_py + py + _device_add_py([kind]), head_c + c + _device_add_c([kind])


def expect_staged_echo_ioctl(op):
    """IOCTL echo through a scratch buffer: as :func:`expect_echo_ioctl`, but an output shorter
    than the input fails the copy into it: STATUS_INVALID_BUFFER_SIZE."""
    if op.input and 0 < op.length < len(op.input):
        return Expected(STATUS_INVALID_BUFFER_SIZE, 0)
    return expect_echo_ioctl(op)


def _kind_behaviour(kind, size):
    if kind == "read":
        return Behaviour(("read",), (0, size), expect_read, lower_faults=False)
    if kind == "write":
        return Behaviour(("write",), (0, size), expect_write, lower_faults=False)
    return Behaviour(
        ("ioctl",), (0, size), expect_staged_echo_ioctl, ioctl=IOCTL_CODE, lower_faults=False
    )


_KIND_SESSION = {
    "read": (Step("read", 16),),
    "write": (Step("write", 0, b"calibration 1"),),
    "ioctl": (Step("ioctl", 16, b"ping"),),
}


def _bug_wrong_tag(variant: int, rng: random.Random) -> Case:
    kind = ("read", "write", "ioctl")[variant]
    size = rng.choice((32, 48, 64))
    read_tag, write_tag = _tag(rng, "R"), _tag(rng, "W")
    if variant == 0:  # the free names the other routine's tag
        head = f'READ_TAG = "{read_tag}"\nWRITE_TAG = "{write_tag}"\n'
        head_c = f"#define READ_TAG '{read_tag}'\n#define WRITE_TAG '{write_tag}'\n"
        tags = {"ALLOC_TAG": ("READ_TAG", "READ_TAG"), "FREE_TAG": ("WRITE_TAG", "WRITE_TAG")}
    elif variant == 1:  # the free spells the tag as !poolused shows it
        head, head_c = f'WRITE_TAG = "{write_tag}"\n', f"#define WRITE_TAG '{write_tag}'\n"
        shown = write_tag[::-1]
        tags = {"ALLOC_TAG": ("WRITE_TAG", "WRITE_TAG"), "FREE_TAG": (f'"{shown}"', f"'{shown}'")}
    else:  # two tags one letter apart, for two kinds of buffer
        echo, other = _tag(rng, "E"), None
        other = echo[:-1] + ("F" if echo[-1] != "F" else "G")
        head = f'ECHO_TAG = "{echo}"  # echo buffers\nSTAT_TAG = "{other}"  # statistics\n'
        head_c = (
            f"#define ECHO_TAG '{echo}' // echo buffers\n#define STAT_TAG '{other}' // statistics\n"
        )
        tags = {"ALLOC_TAG": ("ECHO_TAG", "ECHO_TAG"), "FREE_TAG": ("STAT_TAG", "STAT_TAG")}
    py, c = _scratch_driver(kind, head + "\n", head_c + "\n", **tags)
    story = {
        "read": _(
            "A driver stages every read through a scratch buffer from pool, tagged so that "
            "!poolused can tell its buffers apart. The first read stopped the machine."
        ),
        "write": _(
            "A driver stages every write through a scratch buffer from pool, tagged so that "
            "!poolused can tell its buffers apart. The first write stopped the machine."
        ),
        "ioctl": _(
            "A driver stages every IOCTL through a scratch buffer from pool, tagged so that "
            "!poolused can tell its buffers apart. The first IOCTL stopped the machine."
        ),
    }[kind]
    return Case(
        _("A pool block freed with the wrong tag"),
        story,
        py,
        c,
        _kind_behaviour(kind, size),
        "bug check 0xC2",
        _KIND_SESSION[kind],
    )


_LEAK_1 = """
TABLE_TAG = "$TAG"
TABLE_SIZE = $COUNT  # one byte per calibration step


class DEVICE_CONTEXT:
    Table = None  # the calibration table, from pool


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")


def EvtIoRead(Queue, Request, Length):
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status):
        Length = min(Length, TABLE_SIZE)
        status = WdfMemoryCopyFromBuffer(memory, 0, context.Table, Length)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)


"""


_LEAK_2 = """
#define TABLE_TAG '$TAG'
#define TABLE_SIZE $COUNT // one byte per calibration step

typedef struct _DEVICE_CONTEXT {
    PUCHAR Table;   // the calibration table, from pool
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    PDEVICE_CONTEXT context = GetDeviceContext(WdfIoQueueGetDevice(Queue));

    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (NT_SUCCESS(status)) {
        Length = min(Length, TABLE_SIZE);
        status = WdfMemoryCopyFromBuffer(memory, 0, context->Table, Length);
    }
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? Length : 0);
}

"""


def _bug_leak(variant: int, rng: random.Random) -> Case:
    tag = _tag(rng, "S")
    size = rng.choice((48, 64, 96))
    tags = {"ALLOC_TAG": ("SCRATCH_TAG", "SCRATCH_TAG"), "FREE_TAG": ("SCRATCH_TAG", "SCRATCH_TAG")}
    if variant == 0:  # a read too long is refused after the buffer is taken
        limit = size // 2 + rng.choice((1, 3, 5))
        head = (
            f'SCRATCH_TAG = "{tag}"\nMAX_READ = {limit}  # the longest sample the sensor takes\n\n'
        )
        head_c = (
            f"#define SCRATCH_TAG '{tag}'\n"
            f"#define MAX_READ {limit} // the longest sample the sensor takes\n\n"
        )
        check_py = (
            "    if Length > MAX_READ:\n"
            "        WdfRequestComplete(Request, STATUS_INVALID_BUFFER_SIZE)\n"
            "        return\n"
        )
        check_c = (
            "    if (Length > MAX_READ) {\n"
            "        WdfRequestComplete(Request, STATUS_INVALID_BUFFER_SIZE);\n"
            "        return;\n"
            "    }\n"
        )
        py, c = _scratch_driver("read", head, head_c, check_py, check_c, **tags)

        def expect(op, limit=limit):
            if op.length > limit:
                return Expected(STATUS_INVALID_BUFFER_SIZE, 0)
            return expect_read(op)

        behaviour = Behaviour(("read",), (0, size), expect, lower_faults=False)
        session = (Step("read", 8), Step("read", limit + 1), Step("read", 8))
        story = _(
            "A sensor driver answers reads of up to {limit} bytes and refuses longer ones. "
            "Every read got the right answer, and yet unloading the driver stopped the machine."
        ).format(limit=limit)
    elif variant == 1:  # an IOCTL whose output is too short is refused after the buffer is taken
        head = f'SCRATCH_TAG = "{tag}"\n\n'
        head_c = f"#define SCRATCH_TAG '{tag}'\n\n"
        check_py = (
            "    if OutputBufferLength < InputBufferLength:\n"
            "        WdfRequestComplete(Request, STATUS_BUFFER_TOO_SMALL)\n"
            "        return\n"
        )
        check_c = (
            "    if (OutputBufferLength < InputBufferLength) {\n"
            "        WdfRequestComplete(Request, STATUS_BUFFER_TOO_SMALL);\n"
            "        return;\n"
            "    }\n"
        )
        py, c = _scratch_driver("ioctl", head, head_c, check_py, check_c, **tags)
        behaviour = Behaviour(
            ("ioctl",), (0, size), expect_echo_ioctl, ioctl=IOCTL_CODE, lower_faults=False
        )
        session = (Step("ioctl", 16, b"ping"), Step("ioctl", 2, b"ping"))
        story = _(
            "A test device echoes each IOCTL's input into its output and refuses an output "
            "buffer too small for it. Every IOCTL got the right answer, and yet unloading the "
            "driver stopped the machine."
        )
    else:  # a table the device keeps for its whole life, never freed
        count = rng.choice((64, 128, 256))
        py = _text(
            _LEAK_1,
            TAG=tag,
            COUNT=count,
        ) + _device_add_py(
            ["read"],
            context=True,
            setup=(
                "    context = GetDeviceContext(device)\n"
                "    context.Table = ExAllocatePoolWithTag(NonPagedPoolNx, TABLE_SIZE, TABLE_TAG)\n"
                "    if context.Table is None:\n"
                "        return STATUS_INSUFFICIENT_RESOURCES\n"
                "    RtlCopyMemory(context.Table, bytes(i & 0xFF for i in range(TABLE_SIZE)), "
                "TABLE_SIZE)\n"
            ),
        )
        c = _text(
            _LEAK_2,
            TAG=tag,
            COUNT=count,
        ) + _device_add_c(
            ["read"],
            context=True,
            setup=(
                "    context = GetDeviceContext(device);\n"
                "    context->Table = ExAllocatePoolWithTag(NonPagedPoolNx, TABLE_SIZE,\n"
                "                                           TABLE_TAG);\n"
                "    if (context->Table == NULL) {\n"
                "        return STATUS_INSUFFICIENT_RESOURCES;\n"
                "    }\n"
                "    LoadCalibration(context->Table, TABLE_SIZE); // 0x00, 0x01, ...\n"
            ),
        ).replace(
            "    WDF_OBJECT_ATTRIBUTES attributes;\n",
            "    WDF_OBJECT_ATTRIBUTES attributes;\n    PDEVICE_CONTEXT context;\n",
        )
        behaviour = Behaviour(("read",), (0, count), expect_read, lower_faults=False)
        session = (Step("read", 8), Step("read", 16))
        story = _(
            "A driver loads its device's calibration table from pool when the device is added, "
            "and answers reads from it. Every read got the right answer, and yet unloading the "
            "driver stopped the machine."
        )
    return Case(
        _("A leak found only at unload"),
        story,
        py,
        c,
        behaviour,
        "bug check 0xC4/0x62",
        session,
    )


# -- 13-06: a copy whose failure is ignored --------------------------------------------------------
_COPY_IGNORED_1 = """
DEVICE_INFO = bytes(range(0x40, 0x40 + $RECORD))  # the device's $RECORD-byte record


def EvtIoDeviceControl(Queue, Request, OutputBufferLength, InputBufferLength, IoControlCode):
    if IoControlCode != IOCTL_SENSOR_GET_INFO:
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST)
        return
    status, outMemory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    WdfMemoryCopyFromBuffer(outMemory, 0, DEVICE_INFO, len(DEVICE_INFO))
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, len(DEVICE_INFO))


"""


_COPY_IGNORED_2 = """
static const UCHAR DeviceInfo[$RECORD] = { 0x40, 0x41, /* ... */ }; // the device's record

VOID
EvtIoDeviceControl(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t OutputBufferLength,
    _In_ size_t InputBufferLength,
    _In_ ULONG IoControlCode
    )
{
    NTSTATUS status;
    WDFMEMORY outMemory;

    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    if (IoControlCode != IOCTL_SENSOR_GET_INFO) {
        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
        return;
    }
    status = WdfRequestRetrieveOutputMemory(Request, &outMemory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    WdfMemoryCopyFromBuffer(outMemory, 0, (PVOID)DeviceInfo, sizeof(DeviceInfo));
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(DeviceInfo));
}

"""


_COPY_IGNORED_3 = """
DEVICE_INFO = bytes(range(0x40, 0x40 + $RECORD))  # the device's $RECORD-byte record


def EvtIoRead(Queue, Request, Length):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    status = WdfMemoryCopyFromBuffer(memory, 0, DEVICE_INFO, len(DEVICE_INFO))
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, min(Length, len(DEVICE_INFO)))


"""


_COPY_IGNORED_4 = """
static const UCHAR DeviceInfo[$RECORD] = { 0x40, 0x41, /* ... */ }; // the device's record

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;

    UNREFERENCED_PARAMETER(Queue);
    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    status = WdfMemoryCopyFromBuffer(memory, 0, (PVOID)DeviceInfo, sizeof(DeviceInfo));
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS,
                                      min(Length, sizeof(DeviceInfo)));
}

"""


_COPY_IGNORED_5 = """
HEADER_SIZE = $HEADER  # every write starts with a header: command, flags, length


class DEVICE_CONTEXT:
    LastHeader = None  # the header of the last write, for the device's status page


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")


def EvtIoWrite(Queue, Request, Length):
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
    status, memory = WdfRequestRetrieveInputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    header = bytearray(HEADER_SIZE)
    status = WdfMemoryCopyToBuffer(memory, 0, header, HEADER_SIZE)
    context.LastHeader = header
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)


"""


_COPY_IGNORED_6 = """
#define HEADER_SIZE $HEADER // every write starts with a header: command, flags, length

typedef struct _DEVICE_CONTEXT {
    UCHAR LastHeader[HEADER_SIZE]; // the last write's header, for the status page
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

VOID
EvtIoWrite(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    UCHAR header[HEADER_SIZE];
    PDEVICE_CONTEXT context = GetDeviceContext(WdfIoQueueGetDevice(Queue));

    status = WdfRequestRetrieveInputMemory(Request, &memory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    status = WdfMemoryCopyToBuffer(memory, 0, header, HEADER_SIZE);
    RtlCopyMemory(context->LastHeader, header, HEADER_SIZE);
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
}

"""


def _bug_copy_ignored(variant: int, rng: random.Random) -> Case:
    record = rng.choice((16, 24, 32))
    size = record * 2
    info = bytes(range(0x40, 0x40 + record))
    if variant == 0:  # IOCTL: the record goes out whatever the copy said
        py = (
            _IOCTL_PY.replace("$NAME", "GET_INFO")
            + _text(
                _COPY_IGNORED_1,
                RECORD=record,
            )
            + _device_add_py(["ioctl"])
        )
        c = (
            _IOCTL_C.replace("$NAME", "GET_INFO")
            + _text(
                _COPY_IGNORED_2,
                RECORD=record,
            )
            + _device_add_c(["ioctl"])
        )

        def expect(op, info=info):
            if op.length == 0:
                return Expected(STATUS_BUFFER_TOO_SMALL, 0)
            if op.length < len(info):
                return Expected(STATUS_INVALID_BUFFER_SIZE, 0)
            return Expected(STATUS_SUCCESS, len(info), info)

        behaviour = Behaviour(("ioctl",), (0, size), expect, ioctl=IOCTL_CODE, lower_faults=False)
        session = (Step("ioctl", record, b""), Step("ioctl", record // 2, b""))
        reason = "bug check 0x10D/0x6"
        story = _(
            "A driver answers IOCTL_SENSOR_GET_INFO with its {record}-byte information record. "
            "The vendor's tool works; a script that asked with a smaller buffer stopped the "
            "machine."
        ).format(record=record)
    elif variant == 1:  # read: the record is copied only when it fits, yet the read succeeds
        py = _text(
            _COPY_IGNORED_3,
            RECORD=record,
        ) + _device_add_py(["read"])
        c = _text(
            _COPY_IGNORED_4,
            RECORD=record,
        ) + _device_add_c(["read"])

        def expect(op, info=info):
            if op.length == 0:
                return Expected(STATUS_SUCCESS, 0)
            if op.length < len(info):
                return Expected(STATUS_INVALID_BUFFER_SIZE, 0)
            return Expected(STATUS_SUCCESS, len(info), info)

        behaviour = Behaviour(("read",), (0, size), expect, lower_faults=False)
        session = (Step("read", record), Step("read", record // 2))
        reason = "wrong status"
        story = _(
            "Reading the device gives its {record}-byte information record. A tool that read "
            "{half} bytes at a time was told it succeeded — and got bytes that are not the "
            "record."
        ).format(record=record, half=record // 2)
    else:  # write: the header is taken from a write too short to hold one
        header = rng.choice((8, 12, 16))
        size = header * 3
        py = _text(
            _COPY_IGNORED_5,
            HEADER=header,
        ) + _device_add_py(["write"], context=True)
        c = _text(
            _COPY_IGNORED_6,
            HEADER=header,
        ) + _device_add_c(["write"], context=True)

        def expect(op, header=header):
            if 0 < op.length < header:
                return Expected(STATUS_BUFFER_TOO_SMALL, 0)
            return Expected(STATUS_SUCCESS, op.length)

        behaviour = Behaviour(("write",), (0, size), expect, lower_faults=False)
        session = (Step("write", 0, bytes(header + 4)), Step("write", 0, b"\x01\x02"))
        reason = "wrong status"
        story = _(
            "Every write to this device starts with a header of {header} bytes. A buggy tool "
            "sent a 2-byte write: the driver said it succeeded, and the device's status page "
            "showed a header nobody wrote. A write too short for its header must fail with "
            "STATUS_BUFFER_TOO_SMALL (a write of 0 bytes never reaches the driver)."
        ).format(header=header)
    return Case(_("A failed copy ignored"), story, py, c, behaviour, reason, session)


# -- 13-07: a lookaside list that lives as long as one request -----------------------------------
def _queue_context_add_py() -> str:
    """EvtDriverDeviceAdd whose default queue (reads) has a QUEUE_CONTEXT."""
    return _device_add_py(["read"]).replace(
        "    status, queue = WdfIoQueueCreate(device, config, WDF_NO_OBJECT_ATTRIBUTES)\n",
        "    attributes = WDF_OBJECT_ATTRIBUTES()\n"
        "    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, QUEUE_CONTEXT)\n"
        "    status, queue = WdfIoQueueCreate(device, config, attributes)\n",
    )


def _queue_context_add_c() -> str:
    """EvtDriverDeviceAdd in C whose default queue has a QUEUE_CONTEXT."""
    return (
        _device_add_c(["read"])
        .replace(
            "    WDFQUEUE queue;\n",
            "    WDFQUEUE queue;\n    WDF_OBJECT_ATTRIBUTES attributes;\n",
        )
        .replace(
            "    return WdfIoQueueCreate(device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);\n",
            "    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, QUEUE_CONTEXT);\n"
            "    return WdfIoQueueCreate(device, &config, &attributes, &queue);\n",
        )
    )


_LOOKASIDE_PER_REQUEST_1 = """
SAMPLE_TAG = "$TAG"
SAMPLE_SIZE = $SIZE  # the largest sample a read returns


class DEVICE_CONTEXT:
    Samples = None  # WDFLOOKASIDE of SAMPLE_SIZE-byte buffers


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")


def EvtIoRead(Queue, Request, Length):
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status) and context.Samples is None:
        attributes = WDF_OBJECT_ATTRIBUTES()
        WDF_OBJECT_ATTRIBUTES_INIT(attributes)
        attributes.ParentObject = $PARENT  # $WHY
        status, context.Samples = WdfLookasideListCreate(
            attributes, SAMPLE_SIZE, NonPagedPoolNx, WDF_NO_OBJECT_ATTRIBUTES, SAMPLE_TAG
        )
    if NT_SUCCESS(status):
        status, sample = WdfMemoryCreateFromLookaside(context.Samples)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    Length = min(Length, SAMPLE_SIZE)
    WdfMemoryCopyFromBuffer(sample, 0, bytes(i & 0xFF for i in range(Length)), Length)
    buffer, _ = WdfMemoryGetBuffer(sample)
    status = WdfMemoryCopyFromBuffer(memory, 0, buffer, Length)
    WdfObjectDelete(sample)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)


"""


_LOOKASIDE_PER_REQUEST_2 = """
#define SAMPLE_TAG '$TAG'
#define SAMPLE_SIZE $SIZE // the largest sample a read returns

typedef struct _DEVICE_CONTEXT {
    WDFLOOKASIDE Samples;   // SAMPLE_SIZE-byte buffers
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory, sample;
    WDF_OBJECT_ATTRIBUTES attributes;
    PDEVICE_CONTEXT context = GetDeviceContext(WdfIoQueueGetDevice(Queue));

    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (NT_SUCCESS(status) && context->Samples == NULL) {
        WDF_OBJECT_ATTRIBUTES_INIT(&attributes);
        attributes.ParentObject = $PARENT; // $WHY
        status = WdfLookasideListCreate(&attributes, SAMPLE_SIZE, NonPagedPoolNx,
                                        WDF_NO_OBJECT_ATTRIBUTES, SAMPLE_TAG,
                                        &context->Samples);
    }
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCreateFromLookaside(context->Samples, &sample);
    }
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    Length = min(Length, SAMPLE_SIZE);
    SensorReadSample(WdfMemoryGetBuffer(sample, NULL), Length); // 0x00, 0x01, ...
    status = WdfMemoryCopyFromBuffer(memory, 0, WdfMemoryGetBuffer(sample, NULL), Length);
    WdfObjectDelete(sample);
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? Length : 0);
}

"""


def _bug_lookaside_per_request(variant: int, rng: random.Random) -> Case:
    buffer_size = rng.choice((64, 128, 256))
    tag = _tag(rng, "L")
    parent_py = parent_c = "Request"
    why = "cleaned up with the request"
    if variant == 2:  # parented to the device, but deleted after every read
        parent_py = parent_c = "WdfIoQueueGetDevice(Queue)"
        why = "one list for the device"
    py = _text(
        _LOOKASIDE_PER_REQUEST_1,
        TAG=tag,
        SIZE=buffer_size,
        PARENT=parent_py,
        WHY=why,
    ) + _device_add_py(["read"], context=True)
    c = _text(
        _LOOKASIDE_PER_REQUEST_2,
        TAG=tag,
        SIZE=buffer_size,
        PARENT=parent_c,
        WHY=why,
    ) + _device_add_c(["read"], context=True)
    if variant == 1:  # the handle kept in the queue's context instead of the device's
        py = (
            py.replace(_device_add_py(["read"], context=True), _queue_context_add_py())
            .replace("DEVICE_CONTEXT", "QUEUE_CONTEXT")
            .replace("GetDeviceContext", "GetQueueContext")
            .replace("GetQueueContext(WdfIoQueueGetDevice(Queue))", "GetQueueContext(Queue)")
        )
        c = (
            c.replace(_device_add_c(["read"], context=True), _queue_context_add_c())
            .replace("DEVICE_CONTEXT", "QUEUE_CONTEXT")
            .replace("GetDeviceContext", "GetQueueContext")
            .replace("GetQueueContext(WdfIoQueueGetDevice(Queue))", "GetQueueContext(Queue)")
        )
    if variant == 2:  # done with the list after each read
        py = py.replace(
            "    WdfObjectDelete(sample)\n",
            "    WdfObjectDelete(sample)\n    WdfObjectDelete(context.Samples)  # done with it\n",
        )
        c = c.replace(
            "    WdfObjectDelete(sample);\n",
            "    WdfObjectDelete(sample);\n"
            "    WdfObjectDelete(context->Samples); // done with it\n",
        )
    story = _(
        "A sensor driver takes the buffer for each sample from a lookaside list, as lesson 02 "
        "recommends. The first read worked; the second one stopped the machine."
    )
    return Case(
        _("A lookaside list that lives as long as one request"),
        story,
        py,
        c,
        Behaviour(("read",), (0, buffer_size), expect_read, lower_faults=False),
        "bug check 0x10D/0x5",
        (Step("read", 16), Step("read", 16)),
    )


# -- 13-08: an MDL used after its request completed ----------------------------------------------
_MDL_PY = """
class DEVICE_CONTEXT:
    Bytes = 0  # bytes the device has moved
    LastMdl = None  # the MDL of the last request, for the trace


GetDeviceContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, "GetDeviceContext")


def $EVT(Queue, Request, Length):
    context = GetDeviceContext(WdfIoQueueGetDevice(Queue))
$BEFORE    status, mdl = $RETRIEVE(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    buffer = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute)
    if buffer is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
$TRANSFER    context.LastMdl = mdl
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)
$AFTER

"""
_MDL_C = """
typedef struct _DEVICE_CONTEXT {
    SIZE_T Bytes;   // bytes the device has moved
    PMDL LastMdl;   // the MDL of the last request, for the trace
} DEVICE_CONTEXT, *PDEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(DEVICE_CONTEXT, GetDeviceContext)

VOID
$EVT(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    PMDL mdl;
    PUCHAR buffer;
    PDEVICE_CONTEXT context = GetDeviceContext(WdfIoQueueGetDevice(Queue));

$BEFORE    status = $RETRIEVE(Request, &mdl);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    buffer = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    if (buffer == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
$TRANSFER    context->LastMdl = mdl;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length);
$AFTER}

"""


def _bug_mdl_after_completion(variant: int, rng: random.Random) -> Case:
    size = rng.choice((0x800, 0x1000, 0x1800))
    kind = ("write", "read", "read")[variant]
    if kind == "write":
        evt, retrieve = "EvtIoWrite", "WdfRequestRetrieveInputWdmMdl"
        transfer_py = "    DeviceAccept(buffer, Length)  # the device takes the data\n"
        transfer_c = "    DeviceAccept(buffer, Length); // the device takes the data\n"
    else:
        evt, retrieve = "EvtIoRead", "WdfRequestRetrieveOutputWdmMdl"
        transfer_py = "    RtlCopyMemory(buffer, bytes(i & 0xFF for i in range(Length)), Length)\n"
        transfer_c = "    SensorReadSample(buffer, Length); // 0x00, 0x01, ...\n"
    before_py = before_c = after_py = after_c = ""
    if variant in (0, 1):  # counted after completion
        accessor = ("MmGetMdlByteCount", "MmGetMdlByteCount")[variant]
        after_py = f"    context.Bytes += {accessor}(context.LastMdl)\n"
        after_c = f"    context->Bytes += {accessor}(context->LastMdl);\n"
    else:  # the previous request's MDL traced when the next request arrives
        before_py = (
            "    if context.LastMdl is not None:  # trace where the last transfer went\n"
            "        context.Bytes += MmGetMdlByteCount(context.LastMdl)\n"
        )
        before_c = (
            "    if (context->LastMdl != NULL) { // trace where the last transfer went\n"
            "        context->Bytes += MmGetMdlByteCount(context->LastMdl);\n"
            "    }\n"
        )
    py = (
        _MDL_PY.replace("$EVT", evt)
        .replace("$RETRIEVE", retrieve)
        .replace("$TRANSFER", transfer_py)
        .replace("$BEFORE", before_py)
        .replace("$AFTER", after_py)
    )
    c = (
        _MDL_C.replace("$EVT", evt)
        .replace("$RETRIEVE", retrieve)
        .replace("$TRANSFER", transfer_c)
        .replace("$BEFORE", before_c)
        .replace("$AFTER", after_c)
    )
    if kind == "write":
        py = (
            "def DeviceAccept(buffer, length):\n"
            "    buffer.read(length)  # the device fetches the bytes\n\n\n" + py
        )
        behaviour = Behaviour(("write",), (0, size), expect_write, lower_faults=False)
        session = (Step("write", 0, bytes(0x100)), Step("write", 0, bytes(0x100)))
    else:
        behaviour = Behaviour(("read",), (0, size), expect_read, lower_faults=False)
        session = (Step("read", 0x100), Step("read", 0x100))
    py = py.lstrip("\n") + _device_add_py([kind], "WdfDeviceIoDirect", context=True)
    c = c.lstrip("\n") + _device_add_c([kind], "WdfDeviceIoDirect", context=True)
    if kind == "write":
        story = _(
            "A driver for a direct-I/O device moves each write through the MDL the I/O manager "
            "built, and keeps a count of the bytes for its trace. With Driver Verifier on, the "
            "first write stopped the machine."
        )
    elif variant == 2:
        story = _(
            "A driver for a direct-I/O device moves each read through the MDL the I/O manager "
            "built, and keeps a count of the bytes for its trace. With Driver Verifier on, the "
            "second read stopped the machine."
        )
    else:
        story = _(
            "A driver for a direct-I/O device moves each read through the MDL the I/O manager "
            "built, and keeps a count of the bytes for its trace. With Driver Verifier on, the "
            "first read stopped the machine."
        )
    return Case(
        _("An MDL used after its request completed"),
        story,
        py,
        c,
        behaviour,
        "bug check 0x50",
        session,
    )


# -- 13-09: a completion routine that expects to run again on a resend ----------------------------
_CHUNKS_PY = """
CHUNK = $CHUNK  # the device below moves at most CHUNK bytes per read


class CHUNKED_READ:
    Original = None  # the application's read
    Memory = None  # its output memory
    Length = 0  # bytes it asked for
    Done = 0  # bytes read so far


GetChunkedRead = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CHUNKED_READ, "GetChunkedRead")


def SendNextChunk(Request, ioTarget, read):
    chunk = min(CHUNK, read.Length - read.Done)
    window = WDFMEMORY_OFFSET(read.Done, chunk)
    status = WdfIoTargetFormatRequestForRead(ioTarget, Request, read.Memory, window, read.Done)
    if NT_SUCCESS(status):
        if WdfRequestSend(Request, ioTarget, WDF_NO_SEND_OPTIONS):
            return STATUS_SUCCESS
        status = WdfRequestGetStatus(Request)
    return status


def EvtChunkDone(Request, Target, Params, Context):
    read = GetChunkedRead(Request)
    status = Params.IoStatus.Status
    if NT_SUCCESS(status):
        read.Done += Params.IoStatus.Information
        if read.Done < read.Length:  # more to read: send the same request again
            params = WDF_REQUEST_REUSE_PARAMS()
            WDF_REQUEST_REUSE_PARAMS_INIT(params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS)
$RESEND            WdfRequestReuse(Request, params)
            status = SendNextChunk(Request, Target, read)
            if NT_SUCCESS(status):
                return
    original, done = read.Original, read.Done
    WdfObjectDelete(Request)
    WdfRequestCompleteWithInformation(original, status, done if NT_SUCCESS(status) else 0)


def EvtIoRead(Queue, Request, Length):
    ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue))
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, CHUNKED_READ)
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    if NT_SUCCESS(status):
        status, chunkRequest = WdfRequestCreate(attributes, ioTarget)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
    read = GetChunkedRead(chunkRequest)
    read.Original, read.Memory, read.Length = Request, memory, Length
    WdfRequestSetCompletionRoutine(chunkRequest, EvtChunkDone, WDF_NO_CONTEXT)
    status = SendNextChunk(chunkRequest, ioTarget, read)
    if not NT_SUCCESS(status):
        WdfObjectDelete(chunkRequest)
        WdfRequestComplete(Request, status)


"""
_CHUNKS_C = """
#define CHUNK $CHUNK // the device below moves at most CHUNK bytes per read

typedef struct _CHUNKED_READ {
    WDFREQUEST Original;    // the application's read
    WDFMEMORY Memory;       // its output memory
    size_t Length;          // bytes it asked for
    size_t Done;            // bytes read so far
} CHUNKED_READ, *PCHUNKED_READ;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CHUNKED_READ, GetChunkedRead)

EVT_WDF_REQUEST_COMPLETION_ROUTINE EvtChunkDone;

NTSTATUS
SendNextChunk(
    _In_ WDFREQUEST Request,
    _In_ WDFIOTARGET IoTarget,
    _In_ PCHUNKED_READ Read
    )
{
    NTSTATUS status;
    WDFMEMORY_OFFSET window;
    LONGLONG deviceOffset = (LONGLONG)Read->Done;

    window.BufferOffset = Read->Done;
    window.BufferLength = min(CHUNK, Read->Length - Read->Done);
    status = WdfIoTargetFormatRequestForRead(IoTarget, Request, Read->Memory, &window,
                                             &deviceOffset);
    if (NT_SUCCESS(status)) {
        if (WdfRequestSend(Request, IoTarget, WDF_NO_SEND_OPTIONS)) {
            return STATUS_SUCCESS;
        }
        status = WdfRequestGetStatus(Request);
    }
    return status;
}

VOID
EvtChunkDone(
    _In_ WDFREQUEST Request,
    _In_ WDFIOTARGET Target,
    _In_ PWDF_REQUEST_COMPLETION_PARAMS Params,
    _In_ WDFCONTEXT Context
    )
{
    PCHUNKED_READ read = GetChunkedRead(Request);
    NTSTATUS status = Params->IoStatus.Status;
    WDF_REQUEST_REUSE_PARAMS params;
    WDFREQUEST original;
    size_t done;

    UNREFERENCED_PARAMETER(Context);
    if (NT_SUCCESS(status)) {
        read->Done += Params->IoStatus.Information;
        if (read->Done < read->Length) { // more to read: send the same request again
            WDF_REQUEST_REUSE_PARAMS_INIT(&params, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
$RESEND            WdfRequestReuse(Request, &params);
            status = SendNextChunk(Request, Target, read);
            if (NT_SUCCESS(status)) {
                return;
            }
        }
    }
    original = read->Original;
    done = read->Done;
    WdfObjectDelete(Request);
    WdfRequestCompleteWithInformation(original, status, NT_SUCCESS(status) ? done : 0);
}

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    WDFREQUEST chunkRequest;
    PCHUNKED_READ read;
    WDF_OBJECT_ATTRIBUTES attributes;
    WDFIOTARGET ioTarget = WdfDeviceGetIoTarget(WdfIoQueueGetDevice(Queue));

    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, CHUNKED_READ);
    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (NT_SUCCESS(status)) {
        status = WdfRequestCreate(&attributes, ioTarget, &chunkRequest);
    }
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    read = GetChunkedRead(chunkRequest);
    read->Original = Request;
    read->Memory = memory;
    read->Length = Length;
    read->Done = 0;
    WdfRequestSetCompletionRoutine(chunkRequest, EvtChunkDone, WDF_NO_CONTEXT);
    status = SendNextChunk(chunkRequest, ioTarget, read);
    if (!NT_SUCCESS(status)) {
        WdfObjectDelete(chunkRequest);
        WdfRequestComplete(Request, status);
    }
}

"""


def _bug_resend(variant: int, rng: random.Random) -> Case:
    chunk = (rng.choice((8, 16)), rng.choice((16, 24)), rng.choice((12, 20)))[variant]
    if variant == 1:  # the routine set again, but before WdfRequestReuse clears it
        resend_py = (
            "            WdfRequestSetCompletionRoutine(Request, EvtChunkDone, WDF_NO_CONTEXT)\n"
        )
        resend_c = (
            "            WdfRequestSetCompletionRoutine(Request, EvtChunkDone, WDF_NO_CONTEXT);\n"
        )
    else:
        resend_py = resend_c = ""
    py = _CHUNKS_PY.replace("$CHUNK", str(chunk)).replace("$RESEND", resend_py)
    c = _CHUNKS_C.replace("$CHUNK", str(chunk)).replace("$RESEND", resend_c)
    if variant == 2:  # the routine is set once, when the request is created, not per send
        py = py.replace(
            "    WdfRequestSetCompletionRoutine(chunkRequest, EvtChunkDone, WDF_NO_CONTEXT)\n"
            "    status = SendNextChunk(chunkRequest, ioTarget, read)\n",
            "    status = SendNextChunk(chunkRequest, ioTarget, read)\n",
        ).replace(
            "    status = WdfIoTargetFormatRequestForRead("
            "ioTarget, Request, read.Memory, window, read.Done)\n"
            "    if NT_SUCCESS(status):\n",
            "    status = WdfIoTargetFormatRequestForRead("
            "ioTarget, Request, read.Memory, window, read.Done)\n"
            "    if NT_SUCCESS(status) and read.Done == 0:  # the first send sets the routine\n"
            "        WdfRequestSetCompletionRoutine(Request, EvtChunkDone, WDF_NO_CONTEXT)\n"
            "    if NT_SUCCESS(status):\n",
        )
        c = c.replace(
            "    WdfRequestSetCompletionRoutine(chunkRequest, EvtChunkDone, WDF_NO_CONTEXT);\n"
            "    status = SendNextChunk(chunkRequest, ioTarget, read);\n",
            "    status = SendNextChunk(chunkRequest, ioTarget, read);\n",
        ).replace(
            "                                             &deviceOffset);\n"
            "    if (NT_SUCCESS(status)) {\n        if",
            "                                             &deviceOffset);\n"
            "    if (NT_SUCCESS(status) && Read->Done == 0) { // the first send sets the routine\n"
            "        WdfRequestSetCompletionRoutine(Request, EvtChunkDone, WDF_NO_CONTEXT);\n"
            "    }\n"
            "    if (NT_SUCCESS(status)) {\n        if",
        )
    py = py.lstrip("\n") + _device_add_py(["read"])
    c = c.lstrip("\n") + _device_add_c(["read"])
    story = _(
        "The device below moves at most {chunk} bytes per read, so the driver reads in "
        "chunks: one request of its own, sent again for each chunk. Short reads work; a "
        "read of {length} bytes never came back."
    ).format(chunk=chunk, length=chunk * 2)
    return Case(
        _("A completion routine expected to run again"),
        story,
        py,
        c,
        Behaviour(("read",), (0, chunk * 4), expect_forwarded_read),
        "not completed",
        (Step("read", chunk * 2),),  # (one read: the lab's picture of it fits the window)
    )


# -- 13-10: aligned sub-buffers carved from a block with no room to align its base ---------------
_ALIGN_PY = """
ALIGNMENT = $ALIGN  # the device fetches each part on a $ALIGN-byte boundary
HEADER_SIZE = $HEADER
STATUS_SIZE = $STATUS
BLOCK_TAG = "$TAG"


def EvtIoWrite(Queue, Request, Length):
    status, inMemory = WdfRequestRetrieveInputMemory(Request)
    if not NT_SUCCESS(status):
        WdfRequestComplete(Request, status)
        return
$LAYOUT    block = ExAllocatePoolWithTag(NonPagedPoolNx, $ALLOC, BLOCK_TAG)
    if block is None:
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES)
        return
    skew = WDF_ALIGN_SIZE_UP(block.address, ALIGNMENT) - block.address  # to the first boundary
    status, command = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, block, $WRAP)
    if NT_SUCCESS(status):
        status = WdfMemoryCopyFromBuffer(command, skew, bytes(HEADER_SIZE), HEADER_SIZE)
    if NT_SUCCESS(status):
        payload, _ = WdfMemoryGetBuffer(inMemory)
        status = WdfMemoryCopyFromBuffer(command, skew + payloadOffset, payload, Length)
    if NT_SUCCESS(status):
        status = WdfMemoryCopyFromBuffer(
            command, skew + statusOffset, bytes(STATUS_SIZE), STATUS_SIZE
        )
    if command is not None:
        WdfObjectDelete(command)
    ExFreePoolWithTag(block, BLOCK_TAG)
    WdfRequestCompleteWithInformation(Request, status, Length if NT_SUCCESS(status) else 0)


"""
_ALIGN_C = """
#define ALIGNMENT $ALIGN // the device fetches each part on a $ALIGN-byte boundary
#define HEADER_SIZE $HEADER
#define STATUS_SIZE $STATUS
#define BLOCK_TAG '$TAG'

VOID
EvtIoWrite(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    NTSTATUS status;
    WDFMEMORY inMemory, command = NULL;
    size_t payloadOffset, statusOffset, total, skew;
    PUCHAR block;
    static const UCHAR zeros[max(HEADER_SIZE, STATUS_SIZE)] = { 0 };

    UNREFERENCED_PARAMETER(Queue);
    status = WdfRequestRetrieveInputMemory(Request, &inMemory);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
$CLAYOUT    block = ExAllocatePoolWithTag(NonPagedPoolNx, $ALLOC, BLOCK_TAG);
    if (block == NULL) {
        WdfRequestComplete(Request, STATUS_INSUFFICIENT_RESOURCES);
        return;
    }
    skew = WDF_ALIGN_SIZE_UP((ULONG_PTR)block, ALIGNMENT) - (ULONG_PTR)block;
    status = WdfMemoryCreatePreallocated(WDF_NO_OBJECT_ATTRIBUTES, block, $WRAP, &command);
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCopyFromBuffer(command, skew, (PVOID)zeros, HEADER_SIZE);
    }
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCopyFromBuffer(command, skew + payloadOffset,
                                         WdfMemoryGetBuffer(inMemory, NULL), Length);
    }
    if (NT_SUCCESS(status)) {
        status = WdfMemoryCopyFromBuffer(command, skew + statusOffset, (PVOID)zeros,
                                         STATUS_SIZE);
    }
    if (command != NULL) {
        WdfObjectDelete(command);
    }
    ExFreePoolWithTag(block, BLOCK_TAG);
    WdfRequestCompleteWithInformation(Request, status, NT_SUCCESS(status) ? Length : 0);
}

"""


_LAYOUTS_PY = (
    "    payloadOffset = WDF_ALIGN_SIZE_UP(HEADER_SIZE, ALIGNMENT)\n"
    "    statusOffset = WDF_ALIGN_SIZE_UP(payloadOffset + Length, ALIGNMENT)\n"
    "    total = statusOffset + STATUS_SIZE\n",
    "    statusOffset = WDF_ALIGN_SIZE_UP(HEADER_SIZE, ALIGNMENT)\n"
    "    payloadOffset = WDF_ALIGN_SIZE_UP(statusOffset + STATUS_SIZE, ALIGNMENT)\n"
    "    total = payloadOffset + Length\n",
)
"""Where the parts go: header, payload, status block (0) or header, status block, payload (1)."""
_LAYOUTS_C = tuple(layout.replace("\n", ";\n") for layout in _LAYOUTS_PY)


def _bug_alignment(variant: int, rng: random.Random) -> Case:
    align = (64, 128, rng.choice((64, 128)))[variant]
    header, status = rng.choice((8, 16, 24)), rng.choice((8, 16))
    tag = _tag(rng, "C")
    alloc, wrap = (
        ("total", "total"),  # no room to move the base
        ("total", "total"),
        ("total + ALIGNMENT - 1", "total"),  # room allocated, but the memory object is short
    )[variant]
    values = {
        "ALIGN": align,
        "HEADER": header,
        "STATUS": status,
        "CLAYOUT": _LAYOUTS_C[variant == 1],
        "LAYOUT": _LAYOUTS_PY[variant == 1],
        "TAG": tag,
        "ALLOC": alloc,
        "WRAP": wrap,
    }
    py, c = _ALIGN_PY, _ALIGN_C
    for name in sorted(values, key=len, reverse=True):
        py, c = py.replace("$" + name, str(values[name])), c.replace("$" + name, str(values[name]))
    py = py.lstrip("\n") + _device_add_py(["write"])
    c = c.lstrip("\n") + _device_add_c(["write"])
    story = _(
        "A driver builds a command block for every write: a header, the payload and a status "
        "block the device fills in, each starting on a {align}-byte boundary, in one pool "
        "allocation wrapped in a memory object. Every write fails with "
        "STATUS_INVALID_BUFFER_SIZE, although the driver computed the block's size itself."
    ).format(align=align)
    return Case(
        _("Aligned parts carved from a block with no room to align"),
        story,
        py,
        c,
        Behaviour(("write",), (0, 64), expect_write, lower_faults=False),
        "wrong status",
        (Step("write", 0, b"motor speed 1200"),),
    )


# -- 13-11: a timer or a cancel routine that completes a request the other one completed ----------
_HELD_PY = """
TICK_MS = $TICK  # the sensor's period: a held read completes at the next tick


class QUEUE_CONTEXT:
    Held = None  # the newest read, waiting for the next tick, cancelable meanwhile
    Timer = None  # WDFTIMER, the queue's child: it runs under the queue's lock


GetQueueContext = WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CONTEXT, "GetQueueContext")


def CompleteWithSample(Request):
    status, memory = WdfRequestRetrieveOutputMemory(Request)
    length = 0
    if NT_SUCCESS(status):
        buffer, length = WdfMemoryGetBuffer(memory)
        RtlCopyMemory(buffer, bytes(i & 0xFF for i in range(length)), length)  # the sample
    WdfRequestCompleteWithInformation(Request, status, length)


def EvtRequestCancel(Request):
    context = GetQueueContext(WdfRequestGetIoQueue(Request))
    WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0)
$CANCEL_FORGETS

def EvtTimerTick(Timer):
    context = GetQueueContext(WdfTimerGetParentObject(Timer))
    Request = context.Held
    if Request is None:
        return
$UNMARK    CompleteWithSample(Request)


def EvtIoRead(Queue, Request, Length):
    context = GetQueueContext(Queue)
    older = context.Held
    if older is not None and WdfRequestUnmarkCancelable(older) != STATUS_CANCELLED:
        CompleteWithSample(older)  # a newer read is here: the older one gets the sample now
    WdfRequestMarkCancelable(Request, EvtRequestCancel)
    context.Held = Request


def EvtDriverDeviceAdd(Driver, DeviceInit):
    status, device = WdfDeviceCreate(DeviceInit, WDF_NO_OBJECT_ATTRIBUTES)
    if not NT_SUCCESS(status):
        return status
    config = WDF_IO_QUEUE_CONFIG()
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(config, WdfIoQueueDispatchParallel)
    config.EvtIoRead = EvtIoRead
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(attributes, QUEUE_CONTEXT)
    attributes.SynchronizationScope = WdfSynchronizationScopeQueue
    status, queue = WdfIoQueueCreate(device, config, attributes)
    if not NT_SUCCESS(status):
        return status
    timerConfig = WDF_TIMER_CONFIG()
    WDF_TIMER_CONFIG_INIT_PERIODIC(timerConfig, EvtTimerTick, TICK_MS)
    timerAttributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(timerAttributes)
    timerAttributes.ParentObject = queue
    context = GetQueueContext(queue)
    status, context.Timer = WdfTimerCreate(timerConfig, timerAttributes)
    if NT_SUCCESS(status):
        WdfTimerStart(context.Timer, WDF_REL_TIMEOUT_IN_MS(TICK_MS))
    return status
"""
_HELD_C = """
#define TICK_MS $TICK // the sensor's period: a held read completes at the next tick

typedef struct _QUEUE_CONTEXT {
    WDFREQUEST Held;    // the newest read, waiting for the next tick, cancelable meanwhile
    WDFTIMER Timer;     // the queue's child: it runs under the queue's lock
} QUEUE_CONTEXT, *PQUEUE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(QUEUE_CONTEXT, GetQueueContext)

VOID
CompleteWithSample(
    _In_ WDFREQUEST Request
    )
{
    NTSTATUS status;
    WDFMEMORY memory;
    size_t length = 0;

    status = WdfRequestRetrieveOutputMemory(Request, &memory);
    if (NT_SUCCESS(status)) {
        SensorReadSample(WdfMemoryGetBuffer(memory, &length), length); // 0x00, 0x01, ...
    }
    WdfRequestCompleteWithInformation(Request, status, length);
}

VOID
EvtRequestCancel(
    _In_ WDFREQUEST Request
    )
{
    PQUEUE_CONTEXT context = GetQueueContext(WdfRequestGetIoQueue(Request));

    WdfRequestCompleteWithInformation(Request, STATUS_CANCELLED, 0);
$CANCEL_FORGETS}

VOID
EvtTimerTick(
    _In_ WDFTIMER Timer
    )
{
    PQUEUE_CONTEXT context = GetQueueContext(WdfTimerGetParentObject(Timer));
    WDFREQUEST request = context->Held;

    if (request == NULL) {
        return;
    }
$UNMARK    CompleteWithSample(request);
}

VOID
EvtIoRead(
    _In_ WDFQUEUE Queue,
    _In_ WDFREQUEST Request,
    _In_ size_t Length
    )
{
    PQUEUE_CONTEXT context = GetQueueContext(Queue);
    WDFREQUEST older = context->Held;

    UNREFERENCED_PARAMETER(Length);
    if (older != NULL && WdfRequestUnmarkCancelable(older) != STATUS_CANCELLED) {
        CompleteWithSample(older); // a newer read is here: the older one gets the sample now
    }
    WdfRequestMarkCancelable(Request, EvtRequestCancel);
    context->Held = Request;
}

NTSTATUS
EvtDriverDeviceAdd(
    _In_ WDFDRIVER Driver,
    _Inout_ PWDFDEVICE_INIT DeviceInit
    )
{
    NTSTATUS status;
    WDFDEVICE device;
    WDFQUEUE queue;
    WDF_IO_QUEUE_CONFIG config;
    WDF_OBJECT_ATTRIBUTES attributes, timerAttributes;
    WDF_TIMER_CONFIG timerConfig;
    PQUEUE_CONTEXT context;

    UNREFERENCED_PARAMETER(Driver);
    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchParallel);
    config.EvtIoRead = EvtIoRead;
    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, QUEUE_CONTEXT);
    attributes.SynchronizationScope = WdfSynchronizationScopeQueue;
    status = WdfIoQueueCreate(device, &config, &attributes, &queue);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    WDF_TIMER_CONFIG_INIT_PERIODIC(&timerConfig, EvtTimerTick, TICK_MS);
    WDF_OBJECT_ATTRIBUTES_INIT(&timerAttributes);
    timerAttributes.ParentObject = queue;
    context = GetQueueContext(queue);
    status = WdfTimerCreate(&timerConfig, &timerAttributes, &context->Timer);
    if (NT_SUCCESS(status)) {
        WdfTimerStart(context->Timer, WDF_REL_TIMEOUT_IN_MS(TICK_MS));
    }
    return status;
}
"""
_UNMARK_PY = """    if WdfRequestUnmarkCancelable(Request) == STATUS_CANCELLED:
        return  # the cancel routine has it: it completes it
"""
_UNMARK_C = """    if (WdfRequestUnmarkCancelable(request) == STATUS_CANCELLED) {
        return; // the cancel routine has it: it completes it
    }
"""


def _bug_held_twice(variant: int, rng: random.Random) -> Case:
    tick = rng.choice((50, 100, 200))
    forget_py = "    if context.Held == Request:\n        context.Held = None\n"
    forget_c = "    if (context->Held == Request) {\n        context->Held = NULL;\n    }\n"
    take_py, take_c = "    context.Held = None\n", "    context->Held = NULL;\n"
    unmark_py, unmark_c = _UNMARK_PY + take_py, _UNMARK_C + take_c
    if variant == 0:  # the cancel routine completes the read but leaves it held
        forget_py = forget_c = ""
        reason, session = "bug check 0x10D/0x5", "cancel"
        story = _(
            "A sensor driver holds each read until the sensor's next tick, and lets the "
            "application cancel a read it no longer wants. Reads work; soon after the "
            "application cancelled one, the machine stopped."
        )
    elif variant == 1:  # the timer completes the read still cancelable
        unmark_py, unmark_c = take_py, take_c
        reason, session = "bug check 0x48", "read"
        story = _(
            "A sensor driver holds each read until the sensor's next tick, and lets the "
            "application cancel a read it no longer wants. The first read stopped the machine "
            "at the tick."
        )
    else:  # the timer completes the read but leaves it held
        unmark_py, unmark_c = _UNMARK_PY, _UNMARK_C
        reason, session = "bug check 0x10D/0x5", "read"
        story = _(
            "A sensor driver holds each read until the sensor's next tick, and lets the "
            "application cancel a read it no longer wants. The first read came back with its "
            "data; then the machine stopped."
        )
    py = (
        _HELD_PY.replace("$TICK", str(tick))
        .replace("$CANCEL_FORGETS", forget_py)
        .replace("$UNMARK", unmark_py)
    )
    c = (
        _HELD_C.replace("$TICK", str(tick))
        .replace("$CANCEL_FORGETS", forget_c)
        .replace("$UNMARK", unmark_c)
    )
    steps = (Step("read", 16), Step("cancel", 16)) if session == "cancel" else (Step("read", 16),)
    return Case(
        _("A held read with two owners"),
        story,
        py.lstrip("\n"),
        c.lstrip("\n"),
        Behaviour(("read",), (0, 48), expect_read, lower_faults=False),
        reason,
        steps,
    )


MAKERS = {
    "13-01": _bug_handle_after_completion,
    "13-02": _bug_reuse_missing,
    "13-03": _bug_preallocated_freed,
    "13-04": _bug_wrong_tag,
    "13-05": _bug_leak,
    "13-06": _bug_copy_ignored,
    "13-07": _bug_lookaside_per_request,
    "13-08": _bug_mdl_after_completion,
    "13-09": _bug_resend,
    "13-10": _bug_alignment,
    "13-11": _bug_held_twice,
}
"""The exercises by label, in the lesson's order."""

__all__ = [
    "IOCTL_CODE",
    "MAKERS",
    "Behaviour",
    "Case",
    "Step",
    "tidy_c",
    "tidy_python",
]
