import pytest

from wdfkit import (
    APC_LEVEL,
    DISPATCH_LEVEL,
    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL,
    POOL_FLAG_NON_PAGED,
    POOL_FLAG_PAGED,
    WDF_ALIGN_SIZE_DOWN,
    WDF_ALIGN_SIZE_UP,
    BugCheck,
    ExAllocatePool2,
    ExAllocatePoolWithTag,
    ExFreePool,
    ExFreePoolWithTag,
    KeRaiseIrql,
    Machine,
    MachineHalted,
    NonPagedPoolNx,
    PagedPool,
    RtlCompareMemory,
    RtlCopyMemory,
    RtlFillMemory,
    RtlZeroMemory,
    WdfMemoryCreate,
    WdfObjectCreate,
    WdfObjectDelete,
)
from wdfkit.kernel.pool import tag_text


def crash(call, *args):
    with pytest.raises(BugCheck) as info:
        call(*args)
    return info.value.code, info.value.parameters


def test_tags_read_like_c_literals(machine):
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    assert tag_text(machine.pool.block_at(p.address).tag) == "Tag1"
    assert machine.snapshot().driver_tag == "Toas"
    assert tag_text(Machine("WdfX").tag) == "FxDr"  # two characters left after "Wdf"
    assert tag_text(Machine("WdfKmd").tag) == "Kmd\x00".replace("\x00", " ")


def test_wrong_tag_free_is_0xc2_0x0a(machine):
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    assert crash(ExFreePoolWithTag, p, "2gaT") == (0xC2, (0x0A, p.address, 0x31676154, 0x32676154))


@pytest.mark.parametrize("verifier, expected", [(True, (0xC4, 0x13)), (False, (0xC2, 0x07))])
def test_double_free(verifier, expected):
    with Machine(verifier=verifier):
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
        ExFreePool(p)
        code, params = crash(ExFreePool, p)
        assert (code, params[0]) == expected


def test_free_of_an_address_never_allocated(machine):
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 32, "1gaT")
    assert crash(ExFreePool, p + 8)[1][:2] == (0x10, p.address + 8)


def test_leak_at_unload_is_0xc4_0x62_only_with_verifier():
    m = Machine()
    with m:
        ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
        ExAllocatePoolWithTag(PagedPool, 8, "1gaT")
    with pytest.raises(BugCheck) as info:
        m.unload()
    assert (info.value.code, info.value.parameters[0], info.value.parameters[3]) == (0xC4, 0x62, 2)
    quiet = Machine(verifier=False)
    with quiet:
        ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    quiet.unload()
    assert quiet.state == "unloaded"
    with pytest.raises(MachineHalted):
        with quiet:
            ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")


def test_leak_at_unload_says_arg3_is_reserved():
    """Bug check 0xC4 / 0x62 (debugger reference, DRIVER_VERIFIER_DETECTED_VIOLATION): Arg2 the
    driver's name, Arg3 reserved (a pointer into Driver Verifier's own data on a real machine),
    Arg4 the allocations outstanding.  wdfkit keeps Arg3 0, so the blue screen must not let it
    read as meaningful: it names the reserved parameter."""
    m = Machine()
    with m:
        ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    with pytest.raises(BugCheck) as info:
        m.unload()
    screen = info.value.blue_screen()
    assert info.value.parameters[2] == 0
    assert "Arg3: reserved" in screen and "Arg2: the driver's name" in screen
    assert max(len(line) for line in screen.splitlines()) <= 100


def test_paged_pool_above_apc_level(machine):
    KeRaiseIrql(APC_LEVEL)
    assert ExAllocatePoolWithTag(PagedPool, 8, "1gaT") is not None
    KeRaiseIrql(DISPATCH_LEVEL)
    assert crash(ExAllocatePoolWithTag, PagedPool, 8, "1gaT")[1][:2] == (0x01, DISPATCH_LEVEL)
    with Machine(verifier=False) as quiet:
        KeRaiseIrql(DISPATCH_LEVEL)
        assert crash(ExAllocatePoolWithTag, PagedPool, 8, "1gaT") == (
            0xC2,
            (0x08, DISPATCH_LEVEL, PagedPool, 8),
        )
        assert quiet.state == "crashed"


def test_keraiseirql_to_a_lower_level_is_0x9(machine):
    KeRaiseIrql(DISPATCH_LEVEL)
    assert crash(KeRaiseIrql, APC_LEVEL)[0] == 0x9


def test_zero_size_and_zero_tag_under_verifier(machine):
    assert crash(ExAllocatePoolWithTag, NonPagedPoolNx, 0, "1gaT")[1][0] == 0x00
    with Machine():
        assert crash(ExAllocatePoolWithTag, NonPagedPoolNx, 8, 0)[1][0] == 0x9B
    with Machine(verifier=False):
        assert ExAllocatePoolWithTag(NonPagedPoolNx, 0, "1gaT") is not None


def test_exallocatepool2_zeroes_and_needs_one_pool(machine):
    p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, "1gaT")
    assert p.read(32) == bytes(32)
    assert ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 32, "1gaT") is None


def test_rtl_routines(machine):
    a = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
    b = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
    RtlFillMemory(a, 16, 0x41)
    RtlCopyMemory(b, a, 16)
    RtlZeroMemory(b + 8, 8)
    assert RtlCompareMemory(a, b, 16) == 8
    assert b.read(16) == b"A" * 8 + bytes(8)


def test_overrun_lands_in_the_neighbours_header(machine):
    a = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
    b = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "2gaT")
    assert b - a == 32  # 16 bytes of block, then b's 16-byte pool header
    RtlFillMemory(a, 24, 0xEE)
    assert (b - 16).read(8) == b"\xee" * 8


def test_use_after_free_faults_with_verifier_only():
    with Machine():
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExFreePool(p)
        with pytest.raises(BugCheck) as info:
            p.write(b"x")
        # Special pool: the page fault is reported as 0xD5, P2 = 1 for a write.
        assert info.value.code == DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL
        assert info.value.parameters[:2] == (p.address, 1)
    with Machine(verifier=False):
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExFreePool(p)
        p.write(b"stale")  # undetected: the page is still mapped
        assert p.read(5) == b"stale"


def test_pages_left_behind_empty_are_unmapped():
    # Allocating and freeing at once leaves each page empty as the cursor moves on: the pages
    # must be unmapped (a stale pointer faults) and the host memory behind them released.
    with Machine(verifier=False) as machine:
        pointers = []
        for _ in range(5000):
            pointers.append(ExAllocatePoolWithTag(NonPagedPoolNx, 200, "1gaT"))
            ExFreePool(pointers[-1])
        # Only the page with the driver's own objects and the cursor's page stay.
        assert len(machine.pool._bytes) <= 2
        with pytest.raises(BugCheck) as info:
            pointers[100].read(1)
        assert info.value.code == 0x50


@pytest.mark.parametrize(
    "call, args, error",
    [
        (ExAllocatePoolWithTag, (NonPagedPoolNx, "64", "1gaT"), TypeError),
        (ExAllocatePoolWithTag, (NonPagedPoolNx, -1, "1gaT"), ValueError),
        (ExAllocatePoolWithTag, (NonPagedPoolNx, 2**64, "1gaT"), ValueError),
        (ExAllocatePoolWithTag, (NonPagedPoolNx, 8, "TooLong"), ValueError),
        (ExAllocatePoolWithTag, (NonPagedPoolNx, 8.0, "1gaT"), TypeError),
        (ExFreePoolWithTag, (b"not a pointer", "1gaT"), TypeError),
        (WdfMemoryCreate, (None, NonPagedPoolNx, 0, "big"), TypeError),
        (WdfObjectDelete, (42,), TypeError),
        (KeRaiseIrql, (15,), ValueError),
    ],
)
def test_bad_python_input_names_the_ddi_and_parameter(machine, call, args, error):
    with pytest.raises(error, match=call.__name__):
        call(*args)
    assert machine.state == "running"


def test_handles_and_pointers_from_another_machine_are_refused(machine):
    with Machine() as other:
        _, foreign = WdfObjectCreate(None)
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, "1gaT")
    with pytest.raises(ValueError, match=f"from {other.name}; this call runs on {machine.name}"):
        WdfObjectDelete(foreign)
    with pytest.raises(ValueError, match=f"from {other.name}; this call runs on {machine.name}"):
        ExFreePool(p)
    assert other.state == "running"


def test_ddi_without_a_machine_says_so(nothing_activated):
    with pytest.raises(RuntimeError, match="no simulated machine"):
        WdfObjectCreate(None)


def test_align_size_boundaries_and_wrap():
    assert [WDF_ALIGN_SIZE_UP(n, 16) for n in (0, 1, 16, 17)] == [0, 16, 16, 32]
    assert [WDF_ALIGN_SIZE_DOWN(n, 16) for n in (15, 16, 31)] == [0, 16, 16]
    assert WDF_ALIGN_SIZE_UP(2**64 - 1, 4) == 0
    assert WDF_ALIGN_SIZE_UP(2**64 - 16, 16) == 2**64 - 16
    with pytest.raises(ValueError, match="WDF_ALIGN_SIZE_UP"):
        WDF_ALIGN_SIZE_UP(-1, 16)


def test_machines_are_deterministic():
    def run():
        with Machine() as m:
            _, mem, buf = WdfMemoryCreate(None, NonPagedPoolNx, "1gaT", 64)
            p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "1gaT")
            return repr(mem), repr(buf), repr(p), p.read(16), m.snapshot()

    assert run() == run()


def test_blue_screen_names_the_ddi_or_the_context():
    with Machine() as machine:
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        ExFreePool(p)
        with pytest.raises(BugCheck):
            p.read(1)
    assert "    in a memory access" in machine.bugcheck.blue_screen()
    with Machine() as machine:
        p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, "1gaT")
        with pytest.raises(BugCheck):
            ExFreePoolWithTag(p, "2gaT")
    assert "    while calling ExFreePoolWithTag" in machine.bugcheck.blue_screen()
