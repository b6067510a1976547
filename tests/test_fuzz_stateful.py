"""The hostile state machine (issue 15, "A test the project keeps"): random sequences of
application I/O (with driver callbacks that complete, forward, keep or delete the request),
object creation and deletion, pool, lookaside lists and MDLs, with hostile arguments mixed in;
a bug check must stop its machine and a stopped machine must refuse every DDI.  It runs in a
child process with a limited address space and a per-call time limit (tests/fuzzing.py).

``make test`` runs it derandomized (seed 0).  For a longer search at random seeds:
``WDFKIT_FUZZ_SECONDS=600 WDFKIT_FUZZ_SEED=$RANDOM pytest tests/test_fuzz_stateful.py``.
"""

from test_fuzz_signatures import explain, run_child


def test_random_driver_and_application_sequences_keep_the_contract(tmp_path):
    """Every step's outcome is judged by fuzzing.verdict; the first finding outside
    fuzzing.EXPECTED fails the example, and hypothesis shrinks the sequence that led to it."""
    stats, findings = run_child("stateful", tmp_path)
    print(f"stateful fuzz: {stats}")
    unexpected = [f for f in findings if not f["item"]]
    assert not unexpected, f"{len(unexpected)} finding(s):\n{explain(unexpected)}"
    assert stats["calls"] > 500
