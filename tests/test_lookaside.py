import pytest

from wdfkit import (
    DISPATCH_LEVEL,
    NPAGED_LOOKASIDE_LIST,
    POOL_NX_ALLOCATION,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    WDF_OBJECT_ATTRIBUTES,
    WDF_OBJECT_ATTRIBUTES_INIT,
    ExAllocateFromNPagedLookasideList,
    ExDeleteNPagedLookasideList,
    ExFreeToNPagedLookasideList,
    ExInitializeNPagedLookasideList,
    KeRaiseIrql,
    Machine,
    NonPagedPoolNx,
    PagedPool,
    WdfLookasideListCreate,
    WdfMemoryCreateFromLookaside,
    WdfObjectCreate,
    WdfObjectDelete,
)
from wdfkit.course import workload
from wdfkit.kernel.lookaside import next_depth
from wdfkit.show import views

# Example A, worked by hand from ExpComputeLookasideDepth's rule: (second, Depth, held) after
# each tick, t = 1..21, then scans.
EXAMPLE_A = [
    (1, 4, 4), (2, 4, 4), (3, 34, 4), (4, 34, 34), (5, 34, 34), (6, 64, 34), (7, 64, 50),
    (8, 64, 50), (9, 79, 50), (10, 79, 50), (11, 79, 79), (12, 109, 79), (13, 109, 109),
    (14, 109, 109), (15, 139, 109), (16, 139, 139), (17, 139, 139), (18, 169, 139),
    (19, 169, 169), (20, 169, 169), (21, 199, 169), (24, 189, 169), (27, 179, 169),
    (30, 169, 169), (33, 159, 169), (36, 149, 169), (39, 139, 169), (42, 129, 169),
    (45, 119, 169), (48, 109, 169), (50, 109, 169),
]  # fmt: skip


def rows(machine):
    return {r.second: r for r in machine.balance.history}


@pytest.mark.parametrize("via", ["lookaside", "kernel"])
def test_worked_example_a_exactly(via):
    run = workload.run(workload.EXAMPLE_A, via=via)
    by_second = rows(run.machine)
    assert [(t, by_second[t].depth, by_second[t].held) for t, _, _ in EXAMPLE_A] == EXAMPLE_A
    assert (run.pool_allocations, run.pool_frees) == (4115, 3946)
    misses = [by_second[t].misses for t in range(1, 21)]
    assert misses[:10] == [50, 46, 46, 46, 16, 16, 16, 0, 0, 0]
    assert misses[10:] == [450, 421, 421, 391, 391, 391, 361, 361, 361, 331]
    # A burst has all its buffers in use at once; idle seconds none.
    assert [by_second[t].peak_in_use for t in (1, 10, 11, 20, 21, 50)] == [50, 50, 500, 500, 0, 0]


def test_peak_in_use_counts_buffers_held_across_a_tick():
    machine = Machine(verifier=False)
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
        memories = [WdfMemoryCreateFromLookaside(lookaside)[1] for _ in range(3)]
        WdfObjectDelete(memories.pop())
        machine.advance(1)  # second 1: 3 at once; 2 still out at the tick
        for _ in range(4):  # one at a time: never more than the 2 already out + 1
            WdfObjectDelete(WdfMemoryCreateFromLookaside(lookaside)[1])
        machine.advance(1)
    (list_row_1, list_row_2) = machine.balance.history
    assert (list_row_1.peak_in_use, list_row_1.in_use) == (3, 2)
    assert (list_row_2.peak_in_use, list_row_2.in_use) == (3, 2)


def test_plain_wdfmemorycreate_goes_to_pool_every_time():
    run = workload.run(workload.EXAMPLE_A, via="pool")
    assert (run.pool_allocations, run.pool_frees) == (5500, 5500)


@pytest.mark.parametrize(
    "depth, allocates, misses, expected",
    [
        (50, 74, 0, 40),  # under 25 per second of a 3 s window: −10
        (50, 75, 0, 49),  # exactly at the threshold, no misses: −1
        (50, 1000, 4, 49),  # 4 per mille: still −1
        (50, 1000, 5, 50 + 5 * 206 // 2000 + 5),  # exactly 5 per mille: grow
        (4, 150, 142, 34),  # growth capped at 30
        (250, 1000, 1000, 256),  # the ceiling
        (8, 0, 0, 4),  # the floor, idle
        (4, 1000, 0, 4),  # the floor, all hits
    ],
)
def test_formula_at_each_boundary(depth, allocates, misses, expected):
    assert next_depth(depth, 256, allocates, misses, 3) == expected


@pytest.mark.parametrize(
    "phase, nonpaged_scans, paged_scans", [(1, [3, 6], [1, 4]), (0, [1, 4], [2, 5])]
)
def test_scan_phase_rotates_over_the_groups(phase, nonpaged_scans, paged_scans):
    machine = Machine(verifier=False, scan_phase=phase)
    with machine:
        WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
        WdfLookasideListCreate(None, 64, PagedPool, None, "2gaT")
        machine.advance(6)
    nonpaged, paged = machine.balance.lists[0], machine.balance.lists[2]
    assert [r.second for r in machine.balance.history if r.scanned and r.name == nonpaged.name] == (
        nonpaged_scans
    )
    assert [r.second for r in machine.balance.history if r.scanned and r.name == paged.name] == (
        paged_scans
    )


def test_teaching_mode_scans_every_second():
    run = workload.run(workload.EXAMPLE_A, scan_every_second=True)
    depths = [r.depth for r in run.machine.balance.history]
    assert depths[:3] == [34, 64, 94] and depths[18] == 256 and depths[-1] == 4


@pytest.mark.parametrize(
    "size, pool, shape, lists",
    [
        (64, NonPagedPoolNx, "FxNPagedLookasideList", [(False, 0x70 + 64)]),
        (4096, NonPagedPoolNx, "FxNPagedLookasideListFromPool", [(False, 0x70), (False, 4096)]),
        (64, PagedPool, "FxPagedLookasideListFromPool", [(False, 0x70), (True, 64)]),
    ],
)
def test_the_three_kmdf_shapes(size, pool, shape, lists):
    machine = Machine(verifier=False)
    with machine:
        status, lookaside = WdfLookasideListCreate(None, size, pool, None, "1gaT")
        assert status == STATUS_SUCCESS
        status, memory = WdfMemoryCreateFromLookaside(lookaside)
    obj = machine.objects[lookaside.value]
    assert obj.shape == shape
    assert [(k.paged, k.Size) for k in obj.lists] == lists
    assert all(k.TotalAllocates == 1 for k in obj.lists)


def test_memory_parent_comes_from_memory_attributes_not_the_list(machine):
    _, session = WdfObjectCreate(None)
    attributes = WDF_OBJECT_ATTRIBUTES()
    WDF_OBJECT_ATTRIBUTES_INIT(attributes)
    attributes.ParentObject = session
    _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, attributes, "1gaT")
    _, memory = WdfMemoryCreateFromLookaside(lookaside)
    assert machine.objects[memory.value].parent is machine.objects[session.value]
    _, plain = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
    _, memory2 = WdfMemoryCreateFromLookaside(plain)
    assert machine.objects[memory2.value].parent is machine.driver


def test_deleting_the_list_with_memory_outstanding_defers_the_kernel_delete():
    """The deleted list lives on while memory from it is outstanding, and still hands out
    buffers: WdfMemoryCreateFromLookaside checks no state (fxlookasidelistapi.cpp) and the
    kernel list is deleted only in the destructor (~FxNPagedLookasideList,
    fxnpagedlookasidelistkm.cpp).  Formerly wdfkit bug-checked 0x10D/0x5 here."""
    machine = Machine(verifier=False)
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
        memories = [WdfMemoryCreateFromLookaside(lookaside)[1] for _ in range(3)]
        WdfObjectDelete(memories.pop())  # held on the list now
        WdfObjectDelete(lookaside)
        obj = machine.objects[lookaside.value]
        assert obj.refcnt == 2 and obj.lists[0] in machine.balance.lists
        status, late = WdfMemoryCreateFromLookaside(lookaside)  # takes the held block
        assert status == STATUS_SUCCESS and obj.refcnt == 3 and not obj.lists[0].held
        WdfObjectDelete(late)
    machine = Machine(verifier=False)
    with machine:
        _, lookaside = WdfLookasideListCreate(None, 64, NonPagedPoolNx, None, "1gaT")
        memories = [WdfMemoryCreateFromLookaside(lookaside)[1] for _ in range(3)]
        WdfObjectDelete(memories.pop())
        WdfObjectDelete(lookaside)
        kernel_list = machine.objects[lookaside.value].lists[0]
        WdfObjectDelete(memories.pop())
        assert lookaside.value in machine.objects and len(kernel_list.held) == 2
        WdfObjectDelete(memories.pop())  # the last one: list destroyed, held blocks freed
    assert lookaside.value not in machine.objects
    assert kernel_list.deleted and not kernel_list.held
    assert kernel_list not in machine.balance.lists
    assert machine.snapshot().bytes_by_tag().get("Tag1", 0) == 0


def test_a_lowered_depth_frees_nothing_until_traffic_drains_the_list():
    run = workload.run([workload.Phase(300, 9), workload.Phase(0, 30)])
    kernel_list = run.machine.balance.lists[0]
    assert kernel_list.Depth < len(kernel_list.held)
    held = len(kernel_list.held)
    with run.machine:
        memories = [WdfMemoryCreateFromLookaside(run.lookaside)[1] for _ in range(held)]
        for memory in memories:
            WdfObjectDelete(memory)
    assert len(kernel_list.held) == kernel_list.Depth  # frees above Depth went to pool


def test_driver_verifier_switches_the_list_off():
    run = workload.run([workload.Phase(100, 6)], verifier=True)
    kernel_list = run.machine.balance.lists[0]
    assert (kernel_list.Depth, kernel_list.MaximumDepth) == (0, 0xFFFF)
    assert run.pool_allocations == run.pool_frees == 600


def test_create_statuses(machine):
    assert WdfLookasideListCreate(None, 0, NonPagedPoolNx, None, "1gaT") == (
        STATUS_INVALID_PARAMETER,
        None,
    )
    bad = WDF_OBJECT_ATTRIBUTES()
    bad.Size = 8
    status, _ = WdfLookasideListCreate(None, 64, NonPagedPoolNx, bad, "1gaT")
    assert status != STATUS_SUCCESS
    KeRaiseIrql(DISPATCH_LEVEL)
    assert WdfLookasideListCreate(None, 64, PagedPool, None, "1gaT") == (
        STATUS_INVALID_DEVICE_REQUEST,
        None,
    )


def test_kernel_list_ddis_and_the_lookaside_view():
    machine = Machine(verifier=False)
    with machine:
        header = NPAGED_LOOKASIDE_LIST()
        ExInitializeNPagedLookasideList(header, None, None, POOL_NX_ALLOCATION, 64, "1gaT", 0)
        entries = [ExAllocateFromNPagedLookasideList(header) for _ in range(6)]
        for entry in entries:
            ExFreeToNPagedLookasideList(header, entry)
        assert (header.L.AllocateMisses, header.L.FreeMisses, len(header.L.held)) == (6, 2, 4)
        assert ExAllocateFromNPagedLookasideList(header) == entries[3]  # LIFO
        text = views.lookaside(machine)
        assert "Depth    =        4" in text and "Hit rate =  14.3%" in text
        ExDeleteNPagedLookasideList(header)
        assert not header.L.held and machine.balance.lists == []
        # A late allocate is a miss and a late free a free miss (Depth 0 after the delete):
        # what Windows 11 does, see test_free_to_a_deleted_kernel_list_goes_to_pool.
        late = ExAllocateFromNPagedLookasideList(header)
        assert late is not None and header.L.AllocateMisses == 7
        with pytest.raises(ValueError, match="undeleted"):
            ExDeleteNPagedLookasideList(header)
