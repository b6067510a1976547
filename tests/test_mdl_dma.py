"""MDLs, the page macros, retrieving a request's MDL, and DMA (fxrequestkm.cpp GetMdl, wdm.h)."""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import pytest

from wdfkit import *
from wdfkit.course import dma_examples, scenarios
from wdfkit.kernel.mdl import snapshot
from wdfkit.sim.snapshot import DmaTransactionState

SIZE_T_MAX = 2**64 - 1


def test_page_arithmetic_at_boundaries_and_on_overflow():
    assert BYTE_OFFSET(0x1FFF) == 0xFFF and BYTE_OFFSET(0x2000) == 0
    assert PAGE_ALIGN(0x1FFF) == 0x1000 and PAGE_ALIGN(0x2000) == 0x2000
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x1000, 0) == 0
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x1000, 0x1000) == 1
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x1FFF, 1) == 1
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x1FFF, 2) == 2
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0x12A0, 0x2800) == 3
    assert [BYTES_TO_PAGES(n) for n in (0, 1, 0x1000, 0x1001)] == [0, 1, 1, 2]
    assert [ROUND_TO_PAGES(n) for n in (0, 1, 0x1000, 0x1001)] == [0, 0x1000, 0x1000, 0x2000]
    assert ROUND_TO_PAGES(SIZE_T_MAX) == 0  # size_t wraps: the caller must check
    assert ADDRESS_AND_SIZE_TO_SPAN_PAGES(0xFFF, SIZE_T_MAX) == 1  # wrapped, nonsense
    assert MmSizeOfMdl(0x12A0, 0x2800) == 0x30 + 3 * 8


def test_pmdl_keeps_pointer_type():
    with Machine("Toaster") as m:
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 0x3000, "tseT")
        assert isinstance(PAGE_ALIGN(p + 0x10), PVOID)
        assert BYTE_OFFSET(p + 0x10) == 0x10
        assert m.state == "running"


def test_io_allocate_mdl_and_build_for_nonpaged_pool():
    with Machine("Toaster") as m:
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x4000, "tseT")
        va = buffer + 0x2A0
        mdl = IoAllocateMdl(va, 0x2800, False, False, None)
        assert MmGetMdlVirtualAddress(mdl) == va
        assert (MmGetMdlByteCount(mdl), MmGetMdlByteOffset(mdl)) == (0x2800, 0x2A0)
        assert mdl.StartVa == buffer.address and mdl.Next is None and mdl.MdlFlags == 0
        MmBuildMdlForNonPagedPool(mdl)
        assert mdl.MdlFlags == MDL_SOURCE_IS_NONPAGED_POOL
        pfns = MmGetMdlPfnArray(mdl)
        frames = [pfns[i] for i in range(3)]
        assert frames == [m.physical.pfn((buffer.address >> 12) + i) for i in range(3)]
        assert len(set(frames)) == 3
        assert MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority) == va
        assert IoAllocateMdl(va, 2**32 - 0x1000 + 1, False, False, None) is None
        IoFreeMdl(mdl)
        allocs, frees, _ = m.pool.usage[(int.from_bytes(b"Mdl ", "little"), False)]
        assert (allocs, frees) == (1, 1)


def test_mm_initialize_mdl_in_driver_storage():
    with Machine("Toaster"):
        data = ExAllocatePoolWithTag(NonPagedPoolNx, 0x100, "tseT")
        storage = ExAllocatePoolWithTag(NonPagedPoolNx, MmSizeOfMdl(data, 0x100), "ldMT")
        mdl = PMDL(storage)
        MmInitializeMdl(mdl, data, 0x100)
        assert mdl.Size == MmSizeOfMdl(data, 0x100) and MmGetMdlByteCount(mdl) == 0x100
        mdl.MdlFlags = MDL_ALLOCATED_FIXED_SIZE  # only Next and MdlFlags may be touched
        assert mdl.MdlFlags == MDL_ALLOCATED_FIXED_SIZE


def test_freed_or_null_mdl_faults():
    with Machine("Toaster") as m:
        buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x40, "tseT")
        mdl = IoAllocateMdl(buffer, 0x40, False, False, None)
        IoFreeMdl(mdl)
        with pytest.raises(BugCheck) as caught:
            MmGetMdlByteCount(mdl)
    assert caught.value.code == PAGE_FAULT_IN_NONPAGED_AREA and m.state == "crashed"
    with Machine("Toaster"):
        with pytest.raises(BugCheck) as caught:
            IoFreeMdl(None)
    assert caught.value.code == PAGE_FAULT_IN_NONPAGED_AREA


def test_mdl_ddis_reject_python_type_mistakes():
    with Machine("Toaster"):
        with pytest.raises(TypeError, match="MmGetMdlByteCount: Mdl"):
            MmGetMdlByteCount("mdl")
        with pytest.raises(ValueError, match="IoAllocateMdl: Irp"):
            IoAllocateMdl(0x1000, 16, False, False, object())


def test_frames_are_deterministic_scattered_with_some_neighbours():
    first, second = Machine("A"), Machine("B")
    frames = [first.physical.pfn(page) for page in range(64)]
    assert frames == [second.physical.pfn(page) for page in range(64)]
    assert len(set(frames)) == 64
    adjacent = sum(b == a + 1 for a, b in zip(frames, frames[1:], strict=False))
    assert 5 < adjacent < 50  # neither contiguous nor never adjacent
    assert first.physical.virtual_address(frames[3] << 12 | 0x10) == 3 << 12 | 0x10


def test_retrieve_wdm_mdl_for_every_buffering_method():
    """Direct I/O's MDL is the I/O manager's, probed as NtReadFile / NtWriteFile /
    IopXxxControlFile do: IoWriteAccess for a read and METHOD_OUT_DIRECT, IoReadAccess for a
    write and METHOD_IN_DIRECT.  MmProbeAndLockPages sets MDL_WRITE_OPERATION (0x80, wdm.h) for
    any operation but IoReadAccess, beside MDL_PAGES_LOCKED."""
    table = {
        label: (got_in, got_out) for label, got_in, got_out in dma_examples.retrieve_mdl_table()
    }
    pool, locked = "MDL_SOURCE_IS_NONPAGED_POOL", "MDL_PAGES_LOCKED"
    bad = "STATUS_INVALID_DEVICE_REQUEST"
    assert table["buffered I/O, read"] == (bad, f"MDL, 0x1800 bytes, 2 page(s), {pool}")
    assert table["buffered I/O, write"] == (f"MDL, 0x1800 bytes, 2 page(s), {pool}", bad)
    written = f"{locked} | MDL_WRITE_OPERATION"
    assert table["direct I/O, read"] == (bad, f"MDL, 0x1800 bytes, 2 page(s), {written}")
    assert table["direct I/O, write"] == (f"MDL, 0x1800 bytes, 2 page(s), {locked}", bad)
    assert table["neither I/O, read"] == (bad, bad)
    assert table["neither I/O, write"] == (bad, bad)
    input_mdl = f"MDL, 0x40 bytes, 1 page(s), {pool}"
    # one MDL per request for the system buffer: the output call gets the one input built
    assert table["IOCTL, METHOD_BUFFERED"] == (input_mdl, input_mdl)
    for method, flags in (("METHOD_IN_DIRECT", locked), ("METHOD_OUT_DIRECT", written)):
        assert table[f"IOCTL, {method}"] == (input_mdl, f"MDL, 0x1800 bytes, 2 page(s), {flags}")
    assert table["IOCTL, METHOD_NEITHER"] == (bad, bad)


def _io_machine(io_type, **callbacks):
    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(io_type, callbacks))
    return machine


def test_zero_length_completed_request_and_mdl_freed_with_the_request():
    seen = {}

    def EvtIoDeviceControl(Queue, Request, OutputLength, InputLength, Code):
        seen["input"] = WdfRequestRetrieveInputWdmMdl(Request)[0]  # no input: too small
        seen["status"], seen["mdl"] = WdfRequestRetrieveOutputWdmMdl(Request)
        WdfObjectReference(Request)  # keeps the handle usable after completion
        WdfRequestComplete(Request, STATUS_SUCCESS)
        seen["after"] = WdfRequestRetrieveOutputWdmMdl(Request)[0]
        WdfObjectDereference(Request)

    machine = _io_machine(WdfDeviceIoBuffered, EvtIoDeviceControl=EvtIoDeviceControl)
    code = CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
    machine.application().DeviceIoControl(code, b"", bytearray(0x20))
    assert seen["input"] == STATUS_BUFFER_TOO_SMALL and seen["status"] == STATUS_SUCCESS
    assert seen["after"] == STATUS_INTERNAL_ERROR  # Verifier: the request is completed
    with pytest.raises(BugCheck) as caught:  # the MDL went with the request
        MmGetMdlByteCount(seen["mdl"])
    assert caught.value.code == PAGE_FAULT_IN_NONPAGED_AREA


def test_direct_io_mdl_is_mapped_on_first_use_and_freed_by_io_complete_request():
    seen = {}

    def EvtIoRead(Queue, Request, Length):
        status, mdl = WdfRequestRetrieveOutputWdmMdl(Request)
        seen["flags"] = mdl.MdlFlags
        buffer = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute)
        seen["mapped"] = (mdl.MdlFlags, BYTE_OFFSET(buffer) == MmGetMdlByteOffset(mdl))
        RtlFillMemory(buffer, Length, 0x5A)
        seen["mdl"] = mdl
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)

    machine = _io_machine(WdfDeviceIoDirect, EvtIoRead=EvtIoRead)
    data = bytearray(0x1234)
    assert machine.application().ReadFile(data).Information == 0x1234
    assert data == b"\x5a" * 0x1234  # the caller's own pages received the bytes
    assert seen["flags"] == MDL_PAGES_LOCKED | MDL_WRITE_OPERATION == 0x82
    locked = MDL_PAGES_LOCKED | MDL_WRITE_OPERATION | MDL_MAPPED_TO_SYSTEM_VA
    assert seen["mapped"] == (locked, True)
    with pytest.raises(BugCheck):
        MmGetMdlByteCount(seen["mdl"])


def test_a_freed_mdl_faults_at_the_field_each_accessor_reads():
    """Each MmGetMdl… macro of wdm.h is a load of one _MDL field (x64: Next 0, Size 8,
    MdlFlags 0xA, Process 0x10, MappedSystemVa 0x18, StartVa 0x20, ByteCount 0x28,
    ByteOffset 0x2C); MmGetMdlPfnArray is ``(PPFN_NUMBER)(Mdl + 1)`` and reads nothing.  On a
    freed MDL the page fault's Arg1 is therefore the field's address, not the MDL's base."""
    reads = {
        "MmGetMdlByteCount": (lambda mdl: MmGetMdlByteCount(mdl), 0x28),
        "MmGetMdlByteOffset": (lambda mdl: MmGetMdlByteOffset(mdl), 0x2C),
        "MmGetMdlVirtualAddress": (lambda mdl: MmGetMdlVirtualAddress(mdl), 0x20),
        "MdlFlags": (lambda mdl: mdl.MdlFlags, 0x0A),
        "Next": (lambda mdl: mdl.Next, 0x00),
        "MmGetSystemAddressForMdlSafe": (
            lambda mdl: MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority),
            0x0A,  # the macro tests MdlFlags first
        ),
        "PFN 1": (lambda mdl: MmGetMdlPfnArray(mdl)[1], 0x38),
    }
    for name, (read, offset) in reads.items():
        with Machine("Toaster"):
            buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x2000, "afuB")
            mdl = IoAllocateMdl(buffer, 0x2000, False, False, None)
            MmBuildMdlForNonPagedPool(mdl)
            IoFreeMdl(mdl)
            with pytest.raises(BugCheck) as stop:
                read(mdl)
            assert stop.value.parameters[0] == mdl.address + offset, name


def _transaction(profile=WdfDmaProfileScatterGather64, maximum=0x2000):
    holder = {}

    def setup(device):
        holder["transaction"] = dma_examples._dma_transaction(device, profile, maximum)
        holder["device"] = device

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoDirect, {}, setup))
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x4000, "tseT")
    mdl = IoAllocateMdl(buffer + 0x100, 0x2000, False, False, None)
    MmBuildMdlForNonPagedPool(mdl)
    return machine, holder, buffer + 0x100, mdl


def program(*args):
    return True


def test_dma_initialize_checks():
    machine, holder, va, mdl = _transaction(profile=WdfDmaProfilePacket64)
    t = holder["transaction"]
    write = WdfDmaDirectionWriteToDevice
    assert WdfDmaTransactionInitialize(t, program, write, mdl, va, 0) == STATUS_INVALID_PARAMETER
    assert WdfDmaTransactionInitialize(t, program, 2, mdl, va, 16) == STATUS_INVALID_PARAMETER
    outside = [va - 1, va + 0x2000]  # before the MDL, and one past its last byte
    for address in outside:
        assert WdfDmaTransactionInitialize(t, program, write, mdl, address, 16) == (
            STATUS_INVALID_PARAMETER
        )
    # packet DMA cannot chain MDLs: the range must end inside the first MDL
    assert WdfDmaTransactionInitialize(t, program, write, mdl, va + 0x10, 0x2000) == (
        STATUS_INVALID_PARAMETER
    )
    assert WdfDmaTransactionInitialize(t, program, write, mdl, va + 0x10, 0x1FF0) == STATUS_SUCCESS
    with pytest.raises(BugCheck) as caught:  # initialized twice
        WdfDmaTransactionInitialize(t, program, write, mdl, va, 16)
    assert caught.value.parameters[:3] == (0x8, t.value, 3)  # DMA fatal error, state Initialized


@pytest.mark.parametrize("missing", ["EvtProgramDma", "Mdl"])
def test_dma_initialize_null_program_or_mdl_is_0x10d_4(missing):
    machine, holder, va, mdl = _transaction()
    args = {"EvtProgramDma": program, "Mdl": mdl, missing: None}
    with pytest.raises(BugCheck) as caught:
        WdfDmaTransactionInitialize(
            holder["transaction"], args["EvtProgramDma"], 1, args["Mdl"], va, 16
        )
    assert (caught.value.code, caught.value.parameters[0]) == (0x10D, 0x4)


def test_dma_state_rules():
    machine, holder, va, mdl = _transaction()
    t = holder["transaction"]
    with pytest.raises(BugCheck) as caught:
        WdfDmaTransactionExecute(t, None)
    assert caught.value.parameters[:3] == (0x8, t.value, 1)  # Created, not Initialized
    machine, holder, va, mdl = _transaction()
    t = holder["transaction"]
    WdfDmaTransactionInitialize(t, program, 1, mdl, va, 0x2000)
    WdfDmaTransactionExecute(t, None)
    with pytest.raises(BugCheck) as caught:  # Verifier: released mid-transfer
        WdfDmaTransactionRelease(t)
    assert caught.value.parameters[:3] == (0x8, t.value, 4)


def test_dma_completed_outside_a_transfer_is_0x10d_8():
    machine, holder, va, mdl = _transaction()
    with pytest.raises(BugCheck) as caught:
        WdfDmaTransactionDmaCompleted(holder["transaction"])
    assert caught.value.parameters[0] == 0x8


@pytest.mark.parametrize("profile", ["scatter/gather", "packet"])
@pytest.mark.parametrize("offset, length, maximum", [(0, 0x1000, 0x1000), (0x2A0, 0x3800, 0x2000)])
def test_scatter_gather_merges_adjacent_frames_and_splits_at_the_maximum(
    profile, offset, length, maximum
):
    run = dma_examples.pool_buffer_dma(offset, length, profile, maximum)
    assert run.status == STATUS_SUCCESS
    assert sum(e.Length for sg in run.transfers for e in sg.Elements) == length
    assert run.statuses[-1] == STATUS_SUCCESS
    assert all(s == STATUS_MORE_PROCESSING_REQUIRED for s in run.statuses[:-1])
    frames = set(run.mdl.pfns)
    for sg in run.transfers:
        assert sum(e.Length for e in sg.Elements) <= maximum
        assert sg.NumberOfElements == len(sg.Elements)
        if profile == "packet":
            assert sg.NumberOfElements == 1
        for a, b in zip(sg.Elements, sg.Elements[1:], strict=False):
            assert a.Address.QuadPart + a.Length != b.Address.QuadPart  # else merged
        for e in sg.Elements:
            assert e.Address.QuadPart >> 12 in frames


def test_a_merged_element_spans_adjacent_frames():
    run = dma_examples.pool_buffer_dma(0x2A0, 0x2800, "scatter/gather", 0x4000)
    pfns = run.mdl.pfns
    assert pfns[2] == pfns[1] + 1  # this machine's frames: the 2nd and 3rd pages are neighbours
    (sg,) = run.transfers
    assert [e.Length for e in sg.Elements] == [0x1000 - 0x2A0, 0x2800 - (0x1000 - 0x2A0)]


def test_chained_mdls_with_scatter_gather():
    machine, holder, va, first = _transaction()
    other = ExAllocatePoolWithTag(NonPagedPoolNx, 0x1000, "tseT")
    second = IoAllocateMdl(other, 0x800, False, False, None)
    MmBuildMdlForNonPagedPool(second)
    first.Next = second
    transfers = []
    t = holder["transaction"]

    def record(Transaction, Device, Context, Direction, SgList):
        transfers.append(SgList)
        return True

    assert WdfDmaTransactionInitialize(t, record, 1, first, va, 0x2800) == STATUS_SUCCESS
    WdfDmaTransactionExecute(t, None)
    while not WdfDmaTransactionDmaCompleted(t)[0]:
        pass
    assert WdfDmaTransactionGetBytesTransferred(t) == 0x2800
    last = transfers[-1].Elements[-1]
    assert last.Address.QuadPart >> 12 == snapshot(second).pfns[0] and last.Length == 0x800


def test_dma_from_a_direct_io_write_and_direction_checks():
    run = dma_examples.dma_write(0x2800, "scatter/gather", 0x2000)
    assert run.status.Status == STATUS_SUCCESS and run.status.Information == 0x2800
    assert [sum(e.Length for e in sg.Elements) for sg in run.transfers] == [0x2000, 0x800]
    assert run.mdl.byte_offset == 0x2A0  # the application's buffer starts mid-page
    seen = {}

    def EvtIoRead(Queue, Request, Length):
        t = seen["transaction"]
        seen["wrong"] = WdfDmaTransactionInitializeUsingRequest(
            t, Request, program, WdfDmaDirectionWriteToDevice
        )
        WdfRequestComplete(Request, STATUS_SUCCESS)

    def setup(device):
        profile = WdfDmaProfileScatterGather64
        seen["transaction"] = dma_examples._dma_transaction(device, profile, 0x1000)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoDirect, {"EvtIoRead": EvtIoRead}, setup))
    machine.application().ReadFile(bytearray(16))
    assert seen["wrong"] == STATUS_INVALID_DEVICE_REQUEST


def direct_io_device():
    """A fresh, current machine whose driver has a direct-I/O device: the device's handle."""
    holder = {}

    def setup(device):
        holder["device"] = device

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoDirect, {}, setup))
    return holder["device"]


def test_enabler_and_transaction_creation_statuses():
    holder = {"device": direct_io_device()}
    config = WDF_DMA_ENABLER_CONFIG()
    WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfileScatterGather64, 0)
    assert WdfDmaEnablerCreate(holder["device"], config, None)[0] == STATUS_INVALID_PARAMETER
    WDF_DMA_ENABLER_CONFIG_INIT(config, 0, 0x1000)
    assert WdfDmaEnablerCreate(holder["device"], config, None)[0] == STATUS_INVALID_PARAMETER
    config.Size = 0x40
    assert WdfDmaEnablerCreate(holder["device"], config, None)[0] == STATUS_INFO_LENGTH_MISMATCH
    WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfilePacket, 0x1000)
    status, enabler = WdfDmaEnablerCreate(holder["device"], config, None)
    assert status == STATUS_SUCCESS and WdfDmaEnablerGetMaximumLength(enabler) == 0x1000
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = holder["device"]
    assert WdfDmaTransactionCreate(enabler, attributes)[0] == (
        STATUS_WDF_PARENT_ASSIGNMENT_NOT_ALLOWED
    )
    with pytest.raises(BugCheck) as caught:
        WdfDmaEnablerCreate(holder["device"], None, None)
    assert caught.value.parameters[0] == 0x4


def test_transaction_attributes_are_checked_in_fxvalidateobjectattributes_order():
    """Size before FX_VALIDATE_OPTION_PARENT_NOT_ALLOWED (fxvalidatefunctions.cpp)."""
    holder = {"device": direct_io_device()}
    config = WDF_DMA_ENABLER_CONFIG()
    WDF_DMA_ENABLER_CONFIG_INIT(config, WdfDmaProfilePacket, 0x1000)
    _, enabler = WdfDmaEnablerCreate(holder["device"], config, None)
    attributes = WDF_OBJECT_ATTRIBUTES()  # Size 0: never initialised
    attributes.ParentObject = holder["device"]
    assert WdfDmaTransactionCreate(enabler, attributes) == (STATUS_INFO_LENGTH_MISMATCH, None)


def test_a_transaction_is_deleted_like_any_object_but_not_mid_transfer():
    machine, holder, va, mdl = _transaction()
    t = holder["transaction"]
    WdfDmaTransactionInitialize(t, program, 1, mdl, va, 0x100)
    WdfDmaTransactionRelease(t)
    WdfObjectDelete(t)
    assert t.value not in machine.objects  # destroyed: the DMA release is not the object's
    machine, holder, va, mdl = _transaction()
    WdfDmaTransactionInitialize(holder["transaction"], program, 1, mdl, va, 0x100)
    WdfDmaTransactionExecute(holder["transaction"], None)
    with pytest.raises(BugCheck) as caught:  # Verifier: deleted while transferring
        WdfObjectDelete(holder["transaction"])
    assert caught.value.parameters[:3] == (0x8, holder["transaction"].value, 4)


def test_synchronous_send_with_an_mdl_descriptor():
    holder = {}

    def setup(device):
        holder["target"] = WdfDeviceGetIoTarget(device)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(WdfDeviceIoBuffered, {}, setup))
    buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 0x40, "tseT")
    RtlZeroMemory(buffer, 0x40)
    mdl = IoAllocateMdl(buffer, 0x40, False, False, None)
    MmBuildMdlForNonPagedPool(mdl)
    descriptor = WDF_MEMORY_DESCRIPTOR()
    WDF_MEMORY_DESCRIPTOR_INIT_MDL(descriptor, mdl, 0x10)
    result = WdfIoTargetSendReadSynchronously(holder["target"], None, descriptor, None, None)
    assert result == (STATUS_SUCCESS, 0x10)
    assert buffer.read(0x11) == bytes(range(16)) + b"\0"  # exactly BufferLength bytes
    WDF_MEMORY_DESCRIPTOR_INIT_MDL(descriptor, None, 0x10)
    assert WdfIoTargetSendReadSynchronously(holder["target"], None, descriptor, None, None) == (
        STATUS_INVALID_PARAMETER,
        0,
    )
    unmapped = IoAllocateMdl(0x1C0_00000000, 0x10, False, False, None)  # never locked
    WDF_MEMORY_DESCRIPTOR_INIT_MDL(descriptor, unmapped, 0x10)
    status, _ = WdfIoTargetSendReadSynchronously(holder["target"], None, descriptor, None, None)
    assert status == STATUS_INSUFFICIENT_RESOURCES


@pytest.mark.parametrize("chained", [False, True])
def test_a_length_past_the_mdl_chain_is_refused_not_staged_forever(chained):
    """Scatter/gather DMA can chain MDLs, so WdfDmaTransactionInitialize lets the range run
    past the first MDL; FxDmaTransactionBase::Initialize then calls InitializeResources
    (FxDmaScatterGatherTransaction, fxdmatransactionscattergather.cpp), whose
    _CalculateRequiredMapRegisters (fxdmatransactionbase.cpp) walks the chain and answers
    STATUS_BUFFER_TOO_SMALL when it holds too few bytes; the failed Initialize calls
    ReleaseForReuse(FALSE), so the transaction is Released and can be initialized again.
    Before, the transaction was accepted and DmaCompleted said MORE_PROCESSING_REQUIRED with
    empty scatter/gather lists forever."""
    machine, holder, va, first = _transaction()
    t = holder["transaction"]
    length = 0x2000  # the MDL's ByteCount
    if chained:
        other = ExAllocatePoolWithTag(NonPagedPoolNx, 0x1000, "tseT")
        second = IoAllocateMdl(other, 0x800, False, False, None)
        MmBuildMdlForNonPagedPool(second)
        first.Next = second
        length = 0x2800
    for too_long in (length + 1, length + 0x10000, 2**40):
        assert WdfDmaTransactionInitialize(t, program, 1, first, va, too_long) == (
            STATUS_BUFFER_TOO_SMALL
        )
        (detail,) = [o.detail for o in machine.snapshot().objects if o.handle == t.value]
        assert detail.state == DmaTransactionState.Released
    assert WdfDmaTransactionInitialize(t, program, 1, first, va + 0x10, length - 0x10) == (
        STATUS_SUCCESS
    )
    WdfDmaTransactionExecute(t, None)
    completions = 0
    while not WdfDmaTransactionDmaCompleted(t)[0]:
        completions += 1
        assert completions < 10
    assert WdfDmaTransactionGetBytesTransferred(t) == length - 0x10
