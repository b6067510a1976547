"""Simulated memory costs the host only what is written (issue 15, item 4).

On a real machine RtlZeroMemory / RtlFillMemory / RtlCopyMemory are memset / memcpy: they store
byte after byte and take a page fault at the first byte no page maps, which in kernel mode is
PAGE_FAULT_IN_NONPAGED_AREA (0x50) with Arg1 the address and Arg2 2 for a write, 0 for a read
(the debugger reference's Bug Check 0x50 page); RtlCompareMemory reads only up to the first
difference.  wdfkit checks the range before it builds any host bytes (kernel/pool.py
``first_unmapped``), backs pool a page at a time and shares pages written whole with one byte
value, and copies I/O buffers a page at a time (kernel/irp.py).  The memory-heavy cases run in a
subprocess with an address-space limit (RLIMIT_AS), so a regression fails instead of eating the
host.
"""
# ruff: noqa: F403, F405  (the tests use the DDI names exactly as a driver would)

import os
import subprocess
import sys
import textwrap

import pytest

from wdfkit import *
from wdfkit.kernel.physical import PhysicalMemory
from wdfkit.kernel.pool import PAGE_SIZE


def _small_block():
    machine = boot("Toaster")
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    end_of_page = (p.address | (PAGE_SIZE - 1)) + 1  # the next page is not mapped
    return machine, p, end_of_page


@pytest.mark.parametrize("length", [2**63, 2**40, 2**64 - 1, 2 * PAGE_SIZE])
@pytest.mark.parametrize("ddi", ["RtlZeroMemory", "RtlFillMemory"])
def test_a_huge_zero_or_fill_faults_past_the_block(ddi, length):
    """The stores run on past the 64-byte block (overwriting its neighbours) up to the first
    unmapped page, and fault there: 0x50, Arg1 that address, Arg2 2 (a write)."""
    machine, p, end_of_page = _small_block()
    with pytest.raises(BugCheck) as caught:
        if ddi == "RtlZeroMemory":
            RtlZeroMemory(p, length)
        else:
            RtlFillMemory(p, length, 0xCC)
    assert (caught.value.code, caught.value.parameters) == (0x50, (end_of_page, 2, 0, 0))
    assert machine.state == "crashed"


def test_a_copy_faults_where_it_first_reads_or_writes_bad_memory():
    machine = boot("Toaster")
    big = ExAllocatePoolWithTag(NonPagedPoolNx, 4 * PAGE_SIZE, "tseT")
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")  # on the page right after big's
    end_of_page = (p.address | (PAGE_SIZE - 1)) + 1
    with pytest.raises(BugCheck) as caught:  # the source runs out first: a read fault
        RtlCopyMemory(big, p, 2**63)
    assert caught.value.parameters[:2] == (end_of_page, 0) and machine.state == "crashed"
    machine = boot("Toaster")  # the same layout: the same end_of_page
    big = ExAllocatePoolWithTag(NonPagedPoolNx, 4 * PAGE_SIZE, "tseT")
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    with pytest.raises(BugCheck) as caught:  # the destination runs out first: a write fault
        RtlCopyMemory(p, big, 3 * PAGE_SIZE)
    assert caught.value.parameters[:2] == (end_of_page, 2)
    assert machine.state == "crashed"


def test_compare_stops_at_the_first_difference_before_any_fault():
    """RtlCompareMemory reads only as far as the first difference: past it, nothing faults."""
    machine, p, end_of_page = _small_block()
    q = ExAllocatePoolWithTag(NonPagedPoolNx, 64, "tseT")
    RtlFillMemory(p, 64, 1)
    RtlFillMemory(q, 64, 1)
    p.write(b"\x01" * 10 + b"\x02")
    assert RtlCompareMemory(p, q, 2**63) == 10
    RtlCopyMemory(p, q, 64)
    assert RtlCompareMemory(p, q, 64) == 64
    with pytest.raises(BugCheck) as caught:  # equal up to the unmapped page: faults there
        RtlCompareMemory(p, p, 2**63)
    assert caught.value.parameters[:2] == (end_of_page, 0)


@pytest.mark.parametrize("shift", [-PAGE_SIZE - 7, -5, 5, PAGE_SIZE + 7])
def test_overlapping_copies_move_like_memmove(shift):
    boot("Toaster")
    big = ExAllocatePoolWithTag(NonPagedPoolNx, 6 * PAGE_SIZE, "tseT")
    pattern = bytes(i * 7 % 251 for i in range(6 * PAGE_SIZE))
    big.write(pattern)
    source = 2 * PAGE_SIZE + 3
    length = 2 * PAGE_SIZE + 100
    RtlCopyMemory(big + source + shift, big + source, length)
    expected = bytearray(pattern)
    expected[source + shift : source + shift + length] = pattern[source : source + length]
    assert big.read(6 * PAGE_SIZE) == bytes(expected)


def test_touching_a_large_block_costs_only_what_is_written():
    """A 192 MiB block: allocated, read, zeroed, filled and copied, it keeps no page of its own
    (whole pages written with one value share one page); a partial write costs one page."""
    machine = boot("Toaster")
    size = 192 << 20
    block = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, "tseT")  # zeroed: shared zero pages
    before = machine.pool.backed_bytes()
    assert block.read(16) == bytes(16)
    RtlFillMemory(block, size, 0x5A)
    other = ExAllocatePoolWithTag(NonPagedPoolNx, size, "tseT")
    RtlCopyMemory(other, block, size)
    assert RtlCompareMemory(other, block, size) == size
    assert machine.pool.backed_bytes() - before <= 2 * PAGE_SIZE
    (other + 100).write(b"x")
    assert machine.pool.backed_bytes() - before <= 3 * PAGE_SIZE


def test_default_pool_limit_and_a_terabyte_request():
    """Each pool hands out at most 512 MiB by default; 1 TB is still refused with NULL."""
    machine = boot("Toaster")
    assert machine.pool.limit == 512 << 20
    assert ExAllocatePoolWithTag(NonPagedPoolNx, 1 << 40, "tseT") is None


def test_frames_of_freed_pages_are_taken_back_when_the_ram_runs_out():
    """With the simulated RAM nearly all handed out, the scattered picks give way to an in-order
    search, and the frames of pages that are no longer mapped are reused: no endless loop."""
    mapped = set(range(100))
    physical = PhysicalMemory(mapped=mapped.__contains__, frames=(0x1000, 0x1100))
    frames = [physical.pfn(page) for page in range(256)]  # every frame handed out
    assert sorted(frames) == list(range(0x1000, 0x1100))
    frame = physical.pfn(1000)  # pages 100..255 are unmapped: their frames come back
    assert frame in frames[100:] and physical.pfn(1000) == frame
    assert [physical.pfn(page) for page in range(100)] == frames[:100]  # still mapped: kept
    with pytest.raises(RuntimeError, match="^PhysicalMemory: every page frame"):
        full = PhysicalMemory(mapped=lambda page: True, frames=(0x1000, 0x1010))
        [full.pfn(page) for page in range(17)]


_CHILD = textwrap.dedent(
    """
    import resource, sys
    from wdfkit import *
    from wdfkit.course import scenarios

    def vm_bytes():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

    SIZE = 256 << 20
    BUDGET = 160 << 20  # address space the call may add, beyond what the test allocated
    io = {"buffered": WdfDeviceIoBuffered, "direct": WdfDeviceIoDirect}[sys.argv[1]]

    def EvtIoRead(Queue, Request, Length):
        status, memory = WdfRequestRetrieveOutputMemory(Request)
        buffer, size = WdfMemoryGetBuffer(memory)
        RtlFillMemory(buffer, Length, 0x5A)
        WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, Length)

    machine = boot("Toaster")
    machine.add_device(scenarios.queue_driver(io, {"EvtIoRead": EvtIoRead}))
    application = machine.application()
    buffer = bytearray(SIZE)  # the learner's own 256 MB, already touched (zeroed)
    resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + BUDGET, resource.RLIM_INFINITY))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    status = application.ReadFile(buffer)
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    assert status.Information == SIZE and buffer[0] == buffer[-1] == 0x5A, status
    print(growth)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmSize from /proc")
@pytest.mark.parametrize("io", ["buffered", "direct"])
def test_a_256_mb_read_costs_a_small_fraction_of_its_size(io):
    """ReadFile(bytearray(256 MB)) through a driver that fills the whole buffer: the system
    buffer or the direct-I/O mapping is written whole with one value and copied back a page at
    a time, so the peak resident size grows by well under a quarter of the buffer (it grew by
    ~780 MB before), inside an address-space limit of 160 MB beyond the buffer."""
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, io], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) < (256 << 20) // 4
