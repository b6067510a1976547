"""Lesson 02's check-yourself problems (lookaside lists).

* ``02-ex1``: a list's Depth after a burst and an idle time (rate and durations vary).
* ``02-ex2``, a prediction: how many pool allocations a lookaside list saves over
  ``WdfMemoryCreate`` for a workload (rate, duration, burst or one at a time, Driver Verifier
  vary).
* ``02-ex3``: the first seconds of a new list: its misses, and the blocks it holds (burst size,
  seconds, Driver Verifier vary).
"""

import random

from ...language import _
from .. import workload
from ..answers import COUNT, Several
from ..problem import Problem


def _described(phases) -> str:
    """The workload in words: "100 buffers a second all at once for 3 s, then idle 3 s"."""
    parts = []
    for p in phases:
        if not p.rate:
            parts.append(_("idle {seconds} s").format(seconds=p.seconds))
        elif p.pattern == "burst":
            parts.append(
                _("{rate} buffers a second all at once for {seconds} s").format(
                    rate=p.rate, seconds=p.seconds
                )
            )
        else:
            parts.append(
                _("{rate} buffers a second one at a time for {seconds} s").format(
                    rate=p.rate, seconds=p.seconds
                )
            )
    described = parts[0]
    for part in parts[1:]:
        described = _("{first}, then {then}").format(first=described, then=part)
    return described


def draw_ex1(label: str, rng: random.Random) -> Problem:
    """Depth after a burst and an idle time."""
    burst = workload.Phase(rng.choice([40, 100, 200, 300]), rng.choice([3, 6, 9]))
    phases = [burst, workload.Phase(0, rng.choice([3, 6, 9]))]
    depth = workload.run(phases).machine.snapshot().balance.lists[0].depth
    peak = workload.run(phases[:1]).machine.snapshot().balance.lists[0].depth
    diagnoses = {
        4: _(
            "4 is where Depth starts (and its floor); the scans of the burst raised it, and the "
            "idle scans take at most 10 off each."
        ),
        peak: _(
            "{peak} is Depth when the burst ends: the idle scans still run, each sees fewer "
            "than 75 allocations in its 3 s and takes 10 off."
        ).format(peak=peak),
        256: _("256 is the ceiling; one scan adds at most 30."),
    }
    return Problem(
        label,
        _(
            "A new WDFLOOKASIDE of 256-byte nonpaged buffers (Driver Verifier off; nonpaged "
            "lists are re-tuned at t = 3, 6, 9 … s) sees {workload}. What is its Depth at the end?"
        ).format(workload=_described(phases)),
        COUNT,
        depth,
        _(
            "Each scan looks at the last 3 s: under 75 allocations, −10; misses under 5 per "
            "thousand, −1; otherwise + min(30, misses-per-thousand × (256 − Depth) / 2000 + 5); "
            "never below 4."
        ),
        diagnoses,
        hint=_(
            "Go scan by scan (t = 3, 6, 9 …): count the allocations and misses of the last 3 s."
        ),
    )


def draw_ex2(label: str, rng: random.Random) -> Problem:
    """A prediction: pool allocations saved by a lookaside list over WdfMemoryCreate."""
    pattern = rng.choice(["burst", "steady"])
    rate = rng.choice([10, 30, 60, 100])
    seconds = rng.choice([1, 2, 4, 7])
    verifier = rng.choice([False, False, True])
    phases = [workload.Phase(rate, seconds, pattern)]
    listed = workload.run(phases, verifier=verifier)
    plain = workload.run(phases, via="pool", verifier=verifier)
    saved = plain.pool_allocations - listed.pool_allocations
    total = rate * seconds
    later = 4 * (seconds - 1)  # a burst's hits when Depth stays 4: the kept blocks, from second 2
    if verifier:
        at_depth_0 = _(
            "Driver Verifier is on here: look at what it does to a lookaside list's Depth "
            "(the lesson's Driver Verifier paragraph), and at what a list of that Depth keeps."
        )
        diagnoses = {
            total - 1: (
                _("That would be right without Driver Verifier.")
                if pattern == "steady"
                else _("That is what one buffer at a time would save without Driver Verifier.")
            )
            + " "
            + at_depth_0,
            later: (
                _("Without Driver Verifier the list would reuse its kept blocks.")
                if pattern == "burst"
                else _("That is a burst's count without Driver Verifier.")
            )
            + " "
            + at_depth_0,
            total: _(
                "That would mean no allocation ever reached pool, yet even a list that "
                "keeps buffers misses while it is empty; and Driver Verifier is on: what does it "
                "do to the list's Depth?"
            ),
        }
    else:
        diagnoses = {
            total: _(
                "Not every allocation is saved: the first one always misses (the list "
                "starts empty) and goes to pool."
            ),
            0: _(
                "The list does keep buffers here: Driver Verifier is off, so returned buffers "
                "stay in the list (up to Depth) and the next allocations take them."
            ),
        }
        if pattern == "burst":
            diagnoses[4 * seconds] = _(
                "The first second finds the list empty: all its allocations miss. Only the "
                "later seconds reuse the blocks the list kept."
            )
            diagnoses[total - 1] = _(
                "That is one buffer at a time, where one kept block serves every allocation. "
                "All at once, each second reuses only the blocks the list kept (up to Depth)."
            )
        else:
            diagnoses[later] = _(
                "That is a burst's count. One at a time, the block just given back is taken "
                "by the next allocation: only the very first one misses."
            )
    end_depth = listed.machine.snapshot().balance.lists[0].depth
    return Problem(
        label,
        (
            _(
                "Driver Verifier is on. A driver takes and gives back {workload}, from a new "
                "WDFLOOKASIDE of 256-byte nonpaged buffers (Depth starts at 4; nonpaged lists are "
                "re-tuned at t = 3, 6 … s). How many pool allocations does that save, compared "
                "with the same buffers from WdfMemoryCreate?"
            )
            if verifier
            else _(
                "Driver Verifier is off. A driver takes and gives back {workload}, from a new "
                "WDFLOOKASIDE of 256-byte nonpaged buffers (Depth starts at 4; nonpaged lists are "
                "re-tuned at t = 3, 6 … s). How many pool allocations does that save, compared "
                "with the same buffers from WdfMemoryCreate?"
            )
        ).format(workload=_described(phases)),
        COUNT,
        saved,
        _(
            "WdfMemoryCreate costs one pool allocation per buffer. The list costs one per miss: "
            "an allocation from an empty list. One at a time, one block kept after the first "
            "miss serves them all; all at once, only the blocks the list keeps (up to Depth) are "
            "reused each second. With Driver Verifier on, Depth is 0 and nothing is saved."
        ),
        diagnoses,
        hint=_("Count the misses: a buffer comes from pool only when the list is empty."),
        prediction=True,
        outcome=_(
            "WdfMemoryCreate:              {plain} pool allocations\n"
            "WdfMemoryCreateFromLookaside: {listed} pool allocations (Depth at the end {depth})"
        ).format(plain=plain.pool_allocations, listed=listed.pool_allocations, depth=end_depth),
    )


def draw_ex3(label: str, rng: random.Random) -> Problem:
    """Misses and held blocks in the first seconds of a new list (no scan yet)."""
    count = rng.choice([6, 10, 25, 40])
    seconds = rng.choice([1, 2])
    verifier = rng.choice([False, False, True])
    run = workload.run([workload.Phase(count, seconds)], verifier=verifier)
    kept = run.machine.snapshot().balance.lists[0]
    solution = (kept.allocate_misses, kept.held)
    diagnoses = {
        (count, 4): _(
            "That counts the first second's misses only. The second second starts "
            "with the blocks the list kept: how many of its allocations do they serve, and what "
            "happens to the others?"
        ),
        (count * seconds - 4 * (seconds - 1), count): _(
            "A returned buffer is kept only while "
            "the list holds fewer than Depth (4); the others go back to pool (free misses)."
        ),
        (count * seconds, 0): _(
            "That is a list that keeps nothing, held at Depth 0 as Driver "
            "Verifier holds it; here Driver Verifier is off."
        ),
    }
    if verifier:
        diagnoses = {
            (count * seconds - 4 * (seconds - 1), 4): _(
                "That would be right without Driver "
                "Verifier. It is on here: what does it do to a lookaside list's Depth?"
            ),
            (0, 0): _("A new list starts empty: its first allocations find nothing and miss."),
        }
        if seconds == 2:
            diagnoses[(count, 0)] = _(
                "That counts the first second only; the second second finds the list as the "
                "first left it. What did it keep, with Driver Verifier on?"
            )
    questions = {
        (True, 1): _(
            "Driver Verifier is on. A new WDFLOOKASIDE of 256-byte nonpaged buffers (Depth 4, "
            "nothing re-tuned before t = 3 s) gets {count} allocations at once, then all "
            "{count} buffers back, once. How many allocations missed in all, and how many "
            "blocks does the list hold at the end? Answer (misses, held)."
        ),
        (False, 1): _(
            "Driver Verifier is off. A new WDFLOOKASIDE of 256-byte nonpaged buffers (Depth 4, "
            "nothing re-tuned before t = 3 s) gets {count} allocations at once, then all "
            "{count} buffers back, once. How many allocations missed in all, and how many "
            "blocks does the list hold at the end? Answer (misses, held)."
        ),
        (True, 2): _(
            "Driver Verifier is on. A new WDFLOOKASIDE of 256-byte nonpaged buffers (Depth 4, "
            "nothing re-tuned before t = 3 s) gets {count} allocations at once, then all "
            "{count} buffers back, and the same again in the next second. How many allocations "
            "missed in all, and how many blocks does the list hold at the end? Answer (misses, "
            "held)."
        ),
        (False, 2): _(
            "Driver Verifier is off. A new WDFLOOKASIDE of 256-byte nonpaged buffers (Depth 4, "
            "nothing re-tuned before t = 3 s) gets {count} allocations at once, then all "
            "{count} buffers back, and the same again in the next second. How many allocations "
            "missed in all, and how many blocks does the list hold at the end? Answer (misses, "
            "held)."
        ),
    }
    return Problem(
        label,
        questions[(verifier, seconds)].format(count=count),
        Several(COUNT, COUNT),
        solution,
        _(
            "An allocation from an empty list misses (pool); a returned buffer stays in the list "
            "only while it holds fewer than Depth, else it is a free miss (pool). Depth is 4 "
            "until the first scan, 0 under Driver Verifier."
        ),
        diagnoses,
        hint=_("Walk it through: what does the list hold after the first return?"),
    )


PROBLEMS = {"02-ex1": draw_ex1, "02-ex2": draw_ex2, "02-ex3": draw_ex3}
