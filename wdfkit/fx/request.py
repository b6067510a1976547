"""FxRequest (WDFREQUEST): one I/O request, its memory objects, and what a format left on it.

A request the framework presents from a queue wraps the application's IRP.  Its input and
output WDFMEMORY are *embedded* in the request: they have no reference count of their own —
``WdfObjectReference`` on them, and the reference an I/O target takes when the request's memory
is formatted into another request, count against the request's **IRP reference count** — and
they die when the request is completed.  Completing a request whose IRP references are not all
released is WDF_VIOLATION 0x10D / 0x3 with the count in parameter 3, Verifier or not.

A request the driver creates (``WdfRequestCreate``) has its own IRP, is parented to the driver,
must be deleted rather than completed, and can be reused.

Formatting a request for a target stores a description of the transfer and takes a reference
on each memory object it names; reformatting, ``WdfRequestReuse``, completing or deleting the
request releases them — asynchronous completion does **not**.  A sent request's completion
routine runs once: completion clears it (``FxRequestBase::CompleteSubmitted`` calls it through
``ClearCompletionRoutine()``), and under Verifier it clears the request's "formatted" mark too
(``VerifierClearFormatted``), so a request sent again needs a new format and a new routine.

Mirrors: fxrequest.cpp (CompleteInternal, Reuse, GetMemoryObject), fxrequestbase.cpp,
fxrequestsystembuffer.cpp / fxrequestoutputbuffer.cpp (flags, AddRef → AddIrpReference),
fxrequestcontext.cpp (StoreAndReferenceMemory, ReleaseAndRestore).
A queue request can be cancelled.  While it waits in its queue the queue's cancel routine is
on its IRP (FxIoQueue::_IrpCancelForQueue); while the driver owns it, only when the driver has
marked it cancelable (WdfRequestMarkCancelable…), and then IoCancelIrp leads to the driver's
EvtRequestCancel (FxIoQueue::_IrpCancelForDriver → CancelForDriver).  Completing a request
still marked cancelable is a Verifier debug break, and since its IRP still carries the cancel
routine, IoCompleteRequest stops the machine with CANCEL_STATE_IN_COMPLETED_IRP (0x48).

Simplified: a request waits in one queue at a time; the driver may forward it between the
queues of its device (FxIoQueue.forward).
"""

from dataclasses import dataclass

from ..kernel import mdl as mdls
from ..kernel.bugcheck import (
    WDF_REQUEST_FATAL_ERROR,
    WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH,
    WDF_VERIFIER_FATAL_ERROR,
    WDF_VIOLATION,
    BugCheck,
)
from ..kernel.irp import (
    DO_BUFFERED_IO,
    DO_DIRECT_IO,
    IO_STATUS_BLOCK,
    IOCTL_MAJORS,
    IRP_MJ_DEVICE_CONTROL,
    IRP_MJ_READ,
    IRP_MJ_WRITE,
    IRP_TAG,
    METHOD_BUFFERED,
    METHOD_IN_DIRECT,
    METHOD_NEITHER,
    METHOD_OUT_DIRECT,
    Irp,
    KernelMode,
    UserMode,
)
from ..kernel.ntstatus import (
    NT_SUCCESS,
    NTSTATUS,
    STATUS_BUFFER_TOO_SMALL,
    STATUS_DEVICE_BUSY,
    STATUS_INSUFFICIENT_RESOURCES,
    STATUS_INTERNAL_ERROR,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_WDF_BUSY,
    STATUS_WDF_INTERNAL_ERROR,
    STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS,
    STATUS_WDF_PAUSED,
    STATUS_WDF_REQUEST_INVALID_STATE,
)
from ..kernel.pool import FRAMEWORK
from ..language import _
from ..sim.events import Event
from ..sim.snapshot import RequestBuffer, RequestDetail, RequestMemoryDetail
from .call import call
from .handles import FX_TYPE_REQUEST, FX_TYPE_REQUEST_MEMORY, WDFHANDLE, to_offset_handle
from .memory import FxMemoryObject
from .object import FxObject, FxObjectStateDestroyed

WdfRequestTypeNoFormat = 0xFF  # WDF_REQUEST_TYPE (wdfrequest.h): sent without a target format

FACILITY_DRIVER_FRAMEWORK = 0x20  # ntstatus.h: the facility of every STATUS_WDF_… value

# Parameter 3 of 0x10D/0x6/0x4 points at a WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH_DATA,
# a local of the completing thread in KMDF (VerifyCompleteInternal); wdfkit places it here.
LENGTH_MISMATCH_DATA_OFFSET = 0x1A0
# Where the request's m_SystemBufferOffset / m_OutputBufferOffset fields sit (fxrequestbase.hpp:
# 8-byte aligned, each holding its own offset): the addresses the memories' offset handles encode.
INPUT_MEMORY_OFFSET, OUTPUT_MEMORY_OFFSET = 0x100, 0x148


@dataclass
class Format:
    """What a format left for the next driver: the transfer and the memory it names."""

    major: int
    ioctl_code: int
    input: tuple  # (address, length) the target consumes
    output: tuple  # (address, length) the target fills
    device_offset: int
    input_memory: object = None  # the WDFMEMORY handles, for the completion params
    input_offset: int = 0
    output_memory: object = None
    output_offset: int = 0


def format_completion_params(params, fmt: Format) -> None:
    """What a format writes into the context's completion params: the Type, and each buffer's
    WDFMEMORY and offset (FxRequestContext::FormatReadParams / FormatWriteParams,
    fxrequestcontext.cpp; the IOCTL fields in FxIoTargetFormatIoctl, fxiotargetapi.cpp).  The
    lengths and IoStatus are left for the completion (CopyParameters, CopyStatus)."""
    params.Type = fmt.major
    parameters = params.Parameters
    if fmt.major == IRP_MJ_READ:
        parameters.Read.Buffer, parameters.Read.Offset = fmt.output_memory, fmt.output_offset
    elif fmt.major == IRP_MJ_WRITE:
        parameters.Write.Buffer, parameters.Write.Offset = fmt.input_memory, fmt.input_offset
    else:
        ioctl = parameters.Ioctl
        ioctl.IoControlCode = fmt.ioctl_code
        ioctl.Input.Buffer, ioctl.Input.Offset = fmt.input_memory, fmt.input_offset
        ioctl.Output.Buffer, ioctl.Output.Offset = fmt.output_memory, fmt.output_offset


class FxRequestMemory(FxMemoryObject):
    """A request's embedded input or output WDFMEMORY: no count of its own, dies at completion.

    In KMDF these are not objects of their own but two members of FxRequest, ``m_SystemBuffer``
    (FxRequestSystemBuffer) and ``m_OutputBuffer`` (FxRequestOutputBuffer), fxrequest.hpp;
    their handle is an *offset handle* into the request (``FxRequest::GetMemoryHandle``): the
    address of the request's offset field for this memory, XOR FxHandleValueMask, with bit 0
    (``FxHandleFlagIsOffset``) set; ``address`` here is that field's address.  A reference on
    that handle lands in ``FxRequest::AddRefOverride`` / ``ReleaseOverride`` (fxrequest.cpp),
    which turn it into ``AddIrpReference`` / ``ReleaseIrpReference`` on the request, as
    ``FxRequestSystemBuffer::AddRef`` / ``Release`` do (fxrequestsystembuffer.cpp: "This object
    does not maintain its own reference count").  So the memory lives exactly as long as the
    request, and the object tree lists it under the request with no count (*container*).
    (KMDF's own class named FxRequestMemory, fxrequestmemory.hpp, is the separate object
    ``WdfRequestProbeAndLock…`` creates: wdfkit.fx.requestmemory.FxLockedRequestMemory.)
    """

    TYPE = FX_TYPE_REQUEST_MEMORY
    kind = "request"
    owns_buffer = False
    no_delete_ddi = True  # KMDF has no guard (WdfObjectDelete); wdfkit refuses

    def __init__(self, request: "FxRequest", which: str, address, size: int, read_only: bool):
        machine = self.machine = request.machine
        self.block = None
        self.request = self.container = request
        self.which = which
        offset = INPUT_MEMORY_OFFSET if which == "input" else OUTPUT_MEMORY_OFFSET
        self.address = request.address + offset
        self.handle = WDFHANDLE(to_offset_handle(self.address), "WDFMEMORY", machine)
        self.refcnt = 1
        self.parent = request
        self.children = {}
        self.state = request.state
        self.tags = {None: 1}
        self.buffer, self.size, self.pool_tag = address, size, 0
        self.read_only = read_only
        machine.objects[self.handle.value] = self
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_MEMORY_RETRIEVED, self.handle, which)

    def add_ref(self, tag=None) -> None:
        self.request.irp_refs += 1

    def release(self, tag=None) -> None:
        self.request.irp_refs -= 1

    def invalidate(self) -> None:
        """Completion: the handle and the buffer pointer stop being valid."""
        self.state = FxObjectStateDestroyed
        del self.machine.objects[self.handle.value]
        events = self.machine.events
        if events.listeners:
            events.emit(Event.REQUEST_MEMORY_INVALIDATED, self.handle)

    def detail(self) -> RequestMemoryDetail:
        return RequestMemoryDetail(
            RequestBuffer(self.which), self.buffer, self.size, self.read_only
        )


class FxRequest(FxObject):
    """A WDFREQUEST: from a queue (wrapping the caller's IRP) or created by the driver."""

    TYPE = FX_TYPE_REQUEST
    HANDLE_NAME = "WDFREQUEST"
    OBJECT_SIZE = 0x1B0

    # Cancellation and power-stop state (class defaults: set on the few requests that need
    # them, so creating a request costs nothing more).
    on_queue = False
    """It waits in its queue's list (m_Queue), not yet with the driver."""
    presented_ever = False
    """m_Presented: a queue has given it to the driver at least once."""
    canceled = False
    """m_Canceled: cancelled by a cancel routine or a purge (WdfRequestIsCanceled also looks
    at the IRP's Cancel flag)."""
    cancelable = False
    """FXREQUEST_FLAG_DRIVER_CANCELABLE: marked cancelable and not unmarked since."""
    cancel_routine = None
    """The driver's EvtRequestCancel while it is marked cancelable."""
    cancel_delivered = False
    """FXREQUEST_FLAG_CANCELLED: EvtRequestCancel or EvtIoCanceledOnQueue has been called."""
    stop_state = None
    """m_PowerStopState: None, "acknowledged" or "requeue" (WdfRequestStopAcknowledge)."""
    in_evt_io_stop = False
    """FXREQUEST_FLAG_DRIVER_IN_EVTIOSTOP_CONTEXT: EvtIoStop was called, not yet acknowledged."""

    def __init__(self, machine, block, irp, queue) -> None:
        FxObject.__init__(self, machine, block)
        self.irp = irp if irp is not None else Irp(machine, None, KernelMode)  # IoAllocateIrp
        """The caller's IRP for a queue request; the framework's own for a driver-created one."""
        self.queue = queue
        """The queue that presented it; None for a request the driver created."""
        self.irp_refs = 0
        self.memories: dict[str, FxRequestMemory] = {}
        self.refs: list = []  # memory objects the last format referenced
        self.format: Format | None = None
        """What goes down on the next send (the next stack location as formatted)."""
        self.context: Format | None = None
        """m_RequestContext: the last target format's description, kept for the completion
        params; None until a WdfIoTargetFormatRequest… (FormatRequestUsingCurrentType makes
        none).  ``context_cleared``: its params were reset by a release (InitCompletionParams)."""
        self.context_cleared = False
        self.formatted = False
        """FXREQUEST_FLAG_FORMATTED: Verifier's mark that a format has run since the last
        completion (VerifierSetFormatted / VerifierClearFormatted, fxrequestbase.hpp)."""
        self.completion_routine = None
        self.completion_context = None
        self.completion_params = None
        """The context's m_CompletionParams: the WDF_REQUEST_COMPLETION_PARAMS the last completion
        routine was handed, while the request has a context; ReleaseAndRestore resets it."""
        self.transfer = None  # the transfer in flight on (or queued in) a target, if sent
        self.completed = False
        self.owned = queue is not None  # the driver owns it (a presented queue request)
        self.timed_out = False
        self.allocated_mdl = None  # the MDL built for a system buffer (m_AllocatedMdl)
        self.in_caller_context = False
        """FXREQUEST_FLAG_DRIVER_INPROCESS_CONTEXT: set when EvtIoInCallerContext is called for
        it and cleared only by WdfDeviceEnqueueRequest (VerifyEnqueueRequestUpdateFlags) — a
        request the callback kept has it still.  Only while the callback runs is the
        requestor's process the current one (WdfRequestRetrieveUnsafeUser…, …ProbeAndLock…)."""

    @classmethod
    def construct(cls, machine, irp, queue):
        """The request's pool block, then — for a request with no IRP of its own yet (one the
        driver creates, or a synchronous send's FxSyncRequest) — its IRP; None when either
        cannot be allocated, nothing left allocated (STATUS_INSUFFICIENT_RESOURCES).
        KMDF allocates that IRP in FxRequestBase::ValidateTarget (fxrequestbase.cpp:
        FxIrp::AllocateIrp, NULL → STATUS_INSUFFICIENT_RESOURCES, and FxRequest::_Create
        deletes the request again).  Simplified: KMDF allocates it only once a target is
        known (at WdfRequestCreate with an IoTarget, else at the first format); wdfkit
        allocates it with the request."""
        request = super().construct(machine, irp, queue)
        if request is not None and request.irp.block is None:
            machine.pool.free(request.block.address, request.block.tag)
            return None
        return request

    @classmethod
    def create_internal(cls, machine, irp, queue):
        """A request the framework makes for itself: for a queue's IRP (FxRequest::
        _CreateForPackage) or for a synchronous send the driver gave no request (FxSyncRequest).
        No attributes and no parent (KMDF's request-parent optimisation), but a handle the DDIs
        accept.  ``(status, request)``, as :meth:`FxObject.create`."""
        request = cls.construct(machine, irp, queue)
        if request is None:
            return STATUS_INSUFFICIENT_RESOURCES, None
        machine.objects[request.handle.value] = request
        return STATUS_SUCCESS, request

    # -- cancellation (the queue's two cancel routines) -----------------------------------------
    def irp_cancel_for_queue(self, irp) -> None:
        """FxIoQueue::_IrpCancelForQueue: IoCancelIrp on a request waiting in its queue."""
        self.queue.cancel_for_queue(self)

    def irp_cancel_for_driver(self, irp) -> None:
        """FxIoQueue::_IrpCancelForDriver: IoCancelIrp on a driver-owned cancelable request."""
        self.queue.cancel_for_driver(self)

    @property
    def is_cancelled(self) -> bool:
        """FxRequest::IsCancelled: the IRP was cancelled or the framework cancelled it."""
        return self.canceled or self.irp.Cancel

    @property
    def driver_owned(self) -> bool:
        """FXREQUEST_FLAG_DRIVER_OWNED, what VerifyRequestIsDriverOwned tests: a request its
        queue presented (or EvtIoInCallerContext got: DispatchToInCallerContextCallback sets
        it) and the driver has neither completed nor handed on (forwarded, enqueued)."""
        if self.completed:
            return False
        if self.in_caller_context:
            return True
        queue = self.queue
        return queue is not None and self in queue.presented

    def set_status(self, status: int) -> None:
        """FxRequest::SetStatus: IoStatus.Status, what WdfRequestGetStatus reports."""
        self.irp.IoStatus.Status = NTSTATUS(status)

    def set_information(self, information: int) -> None:
        """FxRequest::SetInformation: IoStatus.Information, the bytes the request moved.
        Simplified: KMDF's Verifier also refuses it on a completed request; wdfkit does not."""
        self.irp.IoStatus.Information = information

    @property
    def device_flags(self) -> int:
        """How reads and writes reach the device (FxDevice::GetIoType, as the DO_BUFFERED_IO /
        DO_DIRECT_IO flags it set); 0 for a request the driver created."""
        return 0 if self.queue is None else self.queue.device.Flags

    # -- memory ---------------------------------------------------------------------------
    def memory(self, which: str):
        """GetMemoryObject / GetDeviceControlOutputMemoryObject: ``(status, memory)``."""
        machine, irp = self.machine, self.irp
        major = irp.major
        if major == (IRP_MJ_READ if which == "input" else IRP_MJ_WRITE):  # the DDI's own test
            return STATUS_INVALID_DEVICE_REQUEST, None
        status = self._completed_check()
        if not NT_SUCCESS(status):
            return status, None
        if major not in (IRP_MJ_READ, IRP_MJ_WRITE, *IOCTL_MAJORS):
            return STATUS_INVALID_DEVICE_REQUEST, None
        # GetMemoryObject / GetDeviceControlOutputMemoryObject (fxrequest.cpp) test a zero
        # length first, then the method: a zero-length user-mode METHOD_NEITHER IOCTL is
        # STATUS_BUFFER_TOO_SMALL, and so is a zero-length neither-I/O read or write.
        user = irp.requestor_mode == UserMode
        address, length = irp.input if which == "input" else irp.output
        if length == 0 or address is None:
            return STATUS_BUFFER_TOO_SMALL, None
        if major == IRP_MJ_DEVICE_CONTROL and irp.method == METHOD_NEITHER and user:
            return STATUS_INVALID_DEVICE_REQUEST, None
        neither_io = not self.device_flags & (DO_BUFFERED_IO | DO_DIRECT_IO)
        if major in (IRP_MJ_READ, IRP_MJ_WRITE) and neither_io and user:
            if machine.kmdf_verifier:  # FxVerifierIO
                machine.trace("KMDF Verifier: neither-I/O buffer from user mode (debug break)")
                return STATUS_INVALID_DEVICE_REQUEST, None
        if address == irp.direct_mapping:  # KMDF maps a direct-I/O MDL to reach its buffer
            mdls.system_address(irp.MdlAddress)
        memory = self.memories.get(which)
        if memory is None:
            if which == "input":
                read_only = major == IRP_MJ_WRITE or (
                    major in IOCTL_MAJORS and irp.method in (METHOD_IN_DIRECT, METHOD_OUT_DIRECT)
                )
            else:
                read_only = major in IOCTL_MAJORS and irp.method == METHOD_IN_DIRECT
            memory = self.memories[which] = FxRequestMemory(self, which, address, length, read_only)
        return STATUS_SUCCESS, memory

    def wdm_mdl(self, which: str):
        """RetrieveInputWdmMdl / RetrieveOutputWdmMdl: ``(status, PMDL)``.

        Direct I/O gives the I/O manager's MDL; a system buffer gets an MDL built once and
        kept until completion; METHOD_NEITHER and neither I/O have none.
        """
        major = self.irp.major
        if major == (IRP_MJ_READ if which == "input" else IRP_MJ_WRITE):
            return STATUS_INVALID_DEVICE_REQUEST, None
        if which == "output" and major in IOCTL_MAJORS:
            return self.device_control_output_mdl()
        return self.get_mdl()

    def dma_buffer(self, to_device: bool):
        """The MDL and length a DMA transaction takes from this request: ``(status, mdl,
        length)``.  InitializeUsingRequest's table: the direction must match a read or write,
        or a direct IOCTL's output; a buffered IOCTL's one system buffer serves either way."""
        irp = self.irp
        if irp.major in (IRP_MJ_READ, IRP_MJ_WRITE):
            if to_device != (irp.major == IRP_MJ_WRITE):
                return STATUS_INVALID_DEVICE_REQUEST, None, 0
            return (*self.get_mdl(), irp.length)
        if irp.major not in IOCTL_MAJORS:
            return STATUS_INVALID_DEVICE_REQUEST, None, 0
        if irp.method == METHOD_BUFFERED:
            return (*self.get_mdl(), irp.input_length if to_device else irp.output_length)
        if irp.method == METHOD_NEITHER or to_device != (irp.method == METHOD_IN_DIRECT):
            return STATUS_INVALID_DEVICE_REQUEST, None, 0
        return (*self.device_control_output_mdl(), irp.output_length)

    def _completed_check(self):
        if self.machine.kmdf_verifier and self.completed:  # VerifyRequestIsNotCompleted
            self.machine.trace("KMDF Verifier: %r is already completed (debug break)", self.handle)
            return STATUS_INTERNAL_ERROR
        return STATUS_SUCCESS

    def get_mdl(self):
        """FxRequest::GetMdl: the MDL of a read or write's buffer, or of an IOCTL's input."""
        irp = self.irp
        status = self._completed_check()
        if not NT_SUCCESS(status):
            return status, None
        if irp.major in IOCTL_MAJORS:
            if irp.method == METHOD_NEITHER:
                return STATUS_INVALID_DEVICE_REQUEST, None
            return self._system_buffer_mdl(*irp.input)  # every other method: SystemBuffer
        if self.device_flags & DO_DIRECT_IO:
            return self._irp_mdl()
        if self.device_flags & DO_BUFFERED_IO:
            if irp.major not in (IRP_MJ_READ, IRP_MJ_WRITE):
                return STATUS_INVALID_PARAMETER, None
            return self._system_buffer_mdl(*(irp.output if irp.major == IRP_MJ_READ else irp.input))
        self.machine.trace("%r: neither I/O has no MDL (debug break)", self.handle)
        return STATUS_INVALID_DEVICE_REQUEST, None

    def device_control_output_mdl(self):
        """FxRequest::GetDeviceControlOutputMdl: the MDL of an IOCTL's output buffer."""
        irp = self.irp
        status = self._completed_check()
        if not NT_SUCCESS(status):
            return status, None
        if irp.major not in IOCTL_MAJORS or irp.method == METHOD_NEITHER:
            return STATUS_INVALID_DEVICE_REQUEST, None
        if irp.method == METHOD_BUFFERED:
            return self._system_buffer_mdl(*irp.output)
        return self._irp_mdl()

    def _system_buffer_mdl(self, buffer, length):
        """One MDL per request for its system buffer (m_AllocatedMdl), whichever DDI built it."""
        if buffer is None or length == 0:
            return STATUS_BUFFER_TOO_SMALL, None
        if self.allocated_mdl is None:
            mdl = mdls.allocate(self.machine, buffer, length, FRAMEWORK)
            if mdl is None:
                return STATUS_INSUFFICIENT_RESOURCES, None
            mdls.build_for_nonpaged_pool(mdl)
            self.allocated_mdl = mdl
        return STATUS_SUCCESS, self.allocated_mdl

    def _irp_mdl(self):
        mdl = self.irp.MdlAddress
        return (STATUS_BUFFER_TOO_SMALL, None) if mdl is None else (STATUS_SUCCESS, mdl)

    def _free_allocated_mdl(self) -> None:
        if self.allocated_mdl is not None:
            mdls.free(self.allocated_mdl)
            self.allocated_mdl = None

    # -- what a format leaves --------------------------------------------------------------
    def set_format(self, major: int, code: int, inputs, outputs, device_offset: int) -> None:
        """StoreAndReferenceMemory for each buffer, then remember the transfer.

        *inputs* and *outputs* are ``(memory or None, (address, length), offset)``.
        """
        (in_memory, in_window, in_offset), (out_memory, out_window, out_offset) = inputs, outputs
        if in_memory is not None:
            self.reference_memory(in_memory, "input")
        if out_memory is not None:
            self.reference_memory(out_memory, "output")
        self.format = self.context = Format(
            major,
            code,
            in_window,
            out_window,
            device_offset,
            None if in_memory is None else in_memory.handle,
            in_offset,
            None if out_memory is None else out_memory.handle,
            out_offset,
        )
        self.context_cleared = False
        if self.completion_params is not None:  # the same context (FX_RCT_IO), formatted again
            format_completion_params(self.completion_params, self.context)
        self.set_formatted()
        if self.queue is None:
            self.irp.major = major

    def format_using_current_type(self) -> None:
        """WdfRequestFormatRequestUsingCurrentType (fxrequestapi.cpp): copy the current stack
        location to the next and set the formatted mark — nothing else.  No request context is
        made and nothing an earlier format referenced is released."""
        self.format = self.current_format()
        self.set_formatted()

    def set_formatted(self) -> None:
        """VerifierSetFormatted: the mark is kept only while KMDF Verifier is on."""
        if self.machine.kmdf_verifier:
            self.formatted = True

    def clear_formatted(self) -> None:
        """VerifierClearFormatted."""
        if self.machine.kmdf_verifier:
            self.formatted = False

    def clear_completion_routine(self):
        """ClearCompletionRoutine() + ClearCompletionContext() (fxrequestbase.hpp): return the
        routine and its context and leave NULL in their place."""
        routine, context = self.completion_routine, self.completion_context
        self.completion_routine = self.completion_context = None
        return routine, context

    def current_format(self) -> Format:
        """The request's own buffers as they stand (send-and-forget, 'using current type')."""
        irp = self.irp
        return Format(irp.major, irp.ioctl_code, irp.input, irp.output, irp.device_offset)

    def reuse(self, status: int, new_irp: bool = False) -> int:
        """FxRequest::Reuse (fxrequest.cpp): clear the routine (KMDF ≥ 1.9) and release the
        format's references (ReleaseAndRestore) first — so a refused ``SET_NEW_IRP`` on a queue
        request (STATUS_WDF_REQUEST_INVALID_STATE) has done both already — then restart the
        status.  A queue request keeps its IRP and only its status is set; a driver-created
        request's own IRP is reinitialised (IoReuseIrp: Information back to 0).  The verifier's
        formatted mark is not touched here (completion already cleared it)."""
        if self.transfer is not None and self.machine.kmdf_verifier:
            self.machine.trace(
                "KMDF Verifier: %r is reused while still sent to a target (debug break)",
                self.handle,
            )
        self.completion_routine = self.completion_context = None
        self.release_context(clear_formatted=False)
        if self.queue is not None:
            if new_irp:
                return STATUS_WDF_REQUEST_INVALID_STATE
            self.irp.IoStatus.Status = NTSTATUS(status)
            self.completed = False
            return STATUS_SUCCESS
        self.format = None
        self.timed_out = False
        self.irp.IoStatus.Status = NTSTATUS(status)
        self.irp.IoStatus.Information = 0
        self.irp.major = None
        return STATUS_SUCCESS

    def reference_memory(self, memory, role: str) -> None:
        """StoreAndReferenceMemory: the target's reference, kept until release_context."""
        memory.add_ref()
        self.refs.append(memory)
        events = self.machine.events
        if events.listeners:
            events.emit(Event.REFERENCE_TAKEN, self.handle, memory.handle, role)

    def embedded(self) -> tuple:
        """The input/output memory the driver has retrieved, while they are valid."""
        return tuple(m for m in self.memories.values() if m.state != FxObjectStateDestroyed)

    def release_context(self, clear_formatted: bool = True) -> None:
        """FxRequestContext::ReleaseAndRestore: drop every reference the last format took and
        reset the context's completion params (InitCompletionParams).  Through
        ContextReleaseAndRestore (a new format, a synchronous send's cleanup) it also clears
        the formatted mark; FxRequest::Reuse calls ReleaseAndRestore directly
        (*clear_formatted* False).

        The params reset are the very WDF_REQUEST_COMPLETION_PARAMS the completion routine was
        handed: CompleteSubmitted (fxrequestbase.cpp) passes ``&m_RequestContext->
        m_CompletionParams``, and InitCompletionParams (fxrequestcontext.hpp) zeroes that
        structure in place (WDF_REQUEST_COMPLETION_PARAMS_INIT: Size set, IoStatus and
        Parameters zero) and sets ``Type = WdfRequestTypeNoFormat``.  So a routine that calls
        WdfRequestReuse and then reads ``Params->IoStatus`` reads STATUS_SUCCESS and 0, not the
        lower device's status (toastmon's completion routine warns of it): save them first.
        A new format reaches them the same way (ValidateTarget → ContextReleaseAndRestore, then
        the format fills in Type and buffers again: :func:`format_completion_params`).
        Params of a request with no context (CompleteSubmittedNoContext's, on the stack) are
        not reached."""
        if self.context is not None:
            self.context_cleared = True
            if clear_formatted:
                self.clear_formatted()
            params = self.completion_params
            if params is not None:  # InitCompletionParams, in place
                params.__init__(
                    Type=WdfRequestTypeNoFormat, IoStatus=IO_STATUS_BLOCK(STATUS_SUCCESS, 0)
                )
        refs, self.refs = self.refs, []
        events = self.machine.events
        for memory in refs:
            memory.release()
            if events.listeners:
                events.emit(Event.REFERENCE_RELEASED, self.handle, memory.handle)

    def take_sync_context(self) -> None:
        """The FxSyncRequest constructor on a driver's request (fxsyncrequest.cpp): release the
        earlier format's references (ReleaseAndRestore, the formatted mark untouched) and take
        the stack context.  FxIoTargetSendIo builds the FxSyncRequest before it checks the IRQL,
        the options and the descriptors, so even a refused ``WdfIoTargetSend…Synchronously``
        leaves the request with nothing of its earlier format and, once ~FxSyncRequest has run,
        no context."""
        self.release_context(clear_formatted=False)
        self.context = self.completion_params = None

    def dispose(self) -> None:
        self.release_context()  # deleting a request releases its format's references (≥ 1.11)

    # -- completion ------------------------------------------------------------------------
    def complete(self, status: int, information: int | None = None) -> None:
        """FxRequest::CompleteInternal (fxrequest.cpp), step by step."""
        machine, irp = self.machine, self.irp
        if not self.owned or self.completed:
            why = "created by the driver" if self.queue is None else "already completed"
            machine.trace(
                "Verifier: %r is %s and cannot be completed: STATUS_INVALID_DEVICE_REQUEST "
                "(debug break)",
                self.handle,
                why,
            )
            return
        if self.cancelable and not self.cancel_delivered and machine.kmdf_verifier:
            machine.trace(  # VerifyCompleteInternal
                "KMDF Verifier: completing cancelable %r: call WdfRequestUnmarkCancelable "
                "first (debug break)",
                self.handle,
            )
        if information is not None:
            irp.IoStatus.Information = information
        information = irp.IoStatus.Information
        if machine.kmdf_verifier and NT_SUCCESS(status):  # FxVerifierIO; the driver's status
            self._check_information(information)
        status = _completion_status(status)
        self.release_context()
        self.completed, self.owned = True, False
        self.dispose_and_destroy_children()
        if self.irp_refs != 0:
            raise BugCheck(
                WDF_VIOLATION,
                (
                    WDF_VERIFIER_FATAL_ERROR,
                    self.handle.value,
                    self.irp_refs,
                    machine.driver_globals,
                ),
                _(
                    "WDF_VERIFIER_FATAL_ERROR: {handle} was completed while {count} reference(s) "
                    "on its memory were still held (an I/O target's reference from a format, or "
                    "a WdfObjectReference)."
                ).format(handle=repr(self.handle), count=self.irp_refs),
            )
        for memory in self.memories.values():  # embedded in the request: they die first
            memory.invalidate()
        events = machine.events
        if events.listeners:
            events.emit(Event.REQUEST_COMPLETED, self.handle)
        self._free_allocated_mdl()
        if call.ddi == "WdfRequestCompleteWithInformation":  # the DDI the driver called
            machine.trace("%s(%r, %s, %d)", call.ddi, self.handle, status, information)
        else:  # WdfRequestComplete, or the framework completing it on its own
            machine.trace("WdfRequestComplete(%r, %s)", self.handle, status)
        irp.complete(status, information)
        self._leave_queue()

    def _leave_queue(self) -> None:
        """Drop the creation reference and let the queue present its next request."""
        queue = self.queue
        self.release()
        queue.request_done(self)

    def _check_information(self, information: int) -> None:
        """VerifyCompleteInternal (fxrequest.cpp): a successful read or write may not report more
        than its length, nor a user-mode IOCTL more than its output length — checked only when
        ``OutputBufferLength > 0``: with no output buffer a driver may report how many input
        bytes it used.  Kernel-mode and internal IOCTLs are not checked.  For a user-mode
        METHOD_BUFFERED IOCTL with no output buffer, CompleteInternal breaks into the debugger
        when Information is not 0 and clears IRP_INPUT_OPERATION, so nothing is copied back."""
        irp = self.irp
        if irp.major in (IRP_MJ_READ, IRP_MJ_WRITE):
            length = irp.length
        elif irp.major == IRP_MJ_DEVICE_CONTROL and irp.requestor_mode == UserMode:
            length = irp.output_length
            if length == 0:
                if irp.method == METHOD_BUFFERED and information != 0:
                    self.machine.trace(
                        "Verifier: %r reports Information %d with no output buffer; nothing "
                        "is copied back (debug break)",
                        self.handle,
                        information,
                    )
                return
        else:
            return
        if information > length:
            raise BugCheck(
                WDF_VIOLATION,
                (
                    WDF_REQUEST_FATAL_ERROR,
                    WDF_REQUEST_FATAL_ERROR_INFORMATION_LENGTH_MISMATCH,
                    self.address + LENGTH_MISMATCH_DATA_OFFSET,
                    self.machine.driver_globals,
                ),
                _(
                    "INFORMATION_LENGTH_MISMATCH: {handle} completed with Information "
                    "{information}, more than the {length}-byte buffer."
                ).format(handle=repr(self.handle), information=information, length=length),
            )

    def forget(self) -> None:
        """Send-and-forget: the IRP now belongs to the target; the request object goes away."""
        self.completed, self.owned = True, False
        self.dispose_and_destroy_children()
        for memory in self.memories.values():
            memory.invalidate()
        self._free_allocated_mdl()
        self._leave_queue()

    def on_destroy(self) -> None:
        irp = self.irp
        if self.queue is None and irp.block is not None and not irp.completed:
            self.machine.pool.free(irp.block.address, IRP_TAG)  # IoFreeIrp

    def detail(self) -> RequestDetail:
        return RequestDetail(self.queue is not None, self.irp.major, self.irp_refs)


def _completion_status(status: int) -> int:
    """A WDF-facility status is not meant for the I/O manager: CompleteInternal (fxrequest.cpp)
    tests ``(Status & 0x0FFF0000) == FACILITY_DRIVER_FRAMEWORK << 16`` — the facility alone, so
    informational and warning ones (STATUS_WDF_QUEUED 0x40200000) are mapped as the errors are;
    an unknown one becomes STATUS_INVALID_DEVICE_REQUEST."""
    if (status & 0x0FFF0000) != FACILITY_DRIVER_FRAMEWORK << 16:
        return status
    if status in (STATUS_WDF_PAUSED, STATUS_WDF_BUSY):
        return STATUS_DEVICE_BUSY
    if status == STATUS_WDF_INTERNAL_ERROR:
        return STATUS_INTERNAL_ERROR
    if status == STATUS_WDF_NOT_ENOUGH_MAP_REGISTERS:
        return STATUS_INSUFFICIENT_RESOURCES
    return STATUS_INVALID_DEVICE_REQUEST
