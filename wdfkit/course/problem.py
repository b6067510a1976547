"""A check-yourself problem: its question, its computed solution, and what to say to answers.

:mod:`wdfkit.course.exercises` makes them; :mod:`wdfkit.course.answers` reads the answers.
"""

from dataclasses import dataclass, field

from ..kernel.text import fill
from .answers import Kind, NotUnderstood, as_typed


@dataclass
class Problem:
    """A question with its computed solution and what to say to each answer.

    *kind* reads the learner's answer (:mod:`wdfkit.course.answers`); *solution* may be given
    in any form the kind reads and is kept canonical.  *diagnoses* is given as a dict from
    wrong answers (any form) to what each one means — "0x50 is what a dead pointer gives;
    here the dead thing was a handle" — and kept as a list of (canonical wrong answer, why)
    pairs, without one that this variant makes right; *hint* is said to any other wrong
    answer.  A *prediction* is answered before running anything; its *outcome* is what the
    simulator showed when the maker ran it, revealed by the learner's "Run it".  *seed* is
    the seed :func:`~wdfkit.course.exercises.make_problem` drew it with (the question shows it).
    """

    label: str
    question: str
    kind: Kind
    solution: object
    explanation: str
    diagnoses: dict = field(default_factory=dict)
    hint: str = "Run the calls again and look closely."
    prediction: bool = False
    outcome: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self.solution = self.kind.settle(self.solution)
        settled = [(self.kind.settle(wrong), why) for wrong, why in self.diagnoses.items()]
        # A variant may make a usual mistake the right answer: that diagnosis is dropped.
        self.diagnoses = [(w, why) for w, why in settled if not self.kind.same(w, self.solution)]

    def __repr__(self) -> str:
        prompt = "Your prediction" if self.prediction else "Your answer"
        return "\n".join(
            [
                fill(f"[{self.label}, seed {self.seed}] {self.question}"),
                fill(f"{prompt}: {self.kind.description}, e.g. {self.kind.example}."),
            ]
        )

    def check(self, answer) -> str:
        """Feedback on *answer*: right, what this wrong answer means, or what was expected."""
        if answer is None:
            what = "prediction" if self.prediction else "answer"
            return fill(f"No answer yet: write your {what} in place of None and run the cell.")
        try:
            given = self.kind.read(answer)
        except NotUnderstood as problem:
            return fill(f"I cannot read {as_typed(answer)} as {problem}.")
        shown = self.kind.show(given)
        if self.kind.same(given, self.solution):
            return fill(f"Correct: {shown}. {self.explanation}")
        for wrong, why in self.diagnoses:
            if self.kind.same(given, wrong):
                return fill(f"Not quite: you answered {shown}. {why}")
        general = self.kind.diagnose(given, self.solution)
        advice = (
            "Press Run it to see what the simulator did."
            if self.prediction and self.outcome
            else self.hint
        )
        return fill(" ".join(filter(None, [f"Not quite: you answered {shown}.", general, advice])))

    def answer(self) -> str:
        """The solution and why: the learner asks for it (the reveal button calls this)."""
        return fill(f"Answer: {self.kind.show(self.solution)}. {self.explanation}")
