"""A check-yourself problem: its question, its computed solution, and what to say to answers.

:mod:`wdfkit.course.exercises` makes them; :mod:`wdfkit.course.answers` reads the answers.
"""

from dataclasses import dataclass, field

from ..kernel.text import fill
from ..language import _
from .answers import Kind, NotUnderstood, as_typed, half_width


@dataclass
class Problem:
    """A question with its computed solution and what to say to each answer.

    *kind* reads the learner's answer (:mod:`wdfkit.course.answers`); *solution* may be given
    in any form the kind reads and is kept canonical.  *diagnoses* is given as a dict from
    wrong answers (any form) to what each one means — "0x50 is what a dead pointer gives;
    here the dead thing was a handle" — and kept as a list of (canonical wrong answer, why)
    pairs, without one that this variant makes right; *hint* is said to any other wrong
    answer (by default: run the calls again and look closely).  A *prediction* is answered
    before running anything; its *outcome* is what the simulator showed when the maker ran
    it, revealed by the learner's "Run it".  *seed* is the seed
    :func:`~wdfkit.course.exercises.make_problem` drew it with (the question shows it).
    """

    label: str
    question: str
    kind: Kind
    solution: object
    explanation: str
    diagnoses: dict = field(default_factory=dict)
    hint: str = ""
    prediction: bool = False
    outcome: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        # the general advice, in the language of the moment the problem is made (not imported)
        self.hint = self.hint or _("Run the calls again and look closely.")
        self.solution = self.kind.settle(self.solution)
        settled = [(self.kind.settle(wrong), why) for wrong, why in self.diagnoses.items()]
        # A variant may make a usual mistake the right answer: that diagnosis is dropped.
        self.diagnoses = [(w, why) for w, why in settled if not self.kind.same(w, self.solution)]

    def __repr__(self) -> str:
        heading = _("[{label}, seed {seed}] {question}").format(
            label=self.label, seed=self.seed, question=self.question
        )
        form = (
            _("Your prediction: {form}, e.g. {example}.")
            if self.prediction
            else _("Your answer: {form}, e.g. {example}.")
        )
        return "\n".join(
            [
                fill(heading),
                fill(form.format(form=self.kind.description, example=self.kind.example)),
            ]
        )

    def check(self, answer) -> str:
        """Feedback on *answer*: right, what this wrong answer means, or what was expected."""
        if answer is None:
            if self.prediction:
                return fill(
                    _("No answer yet: write your prediction in place of None and run the cell.")
                )
            return fill(_("No answer yet: write your answer in place of None and run the cell."))
        try:
            given = self.kind.read(half_width(answer))
        except NotUnderstood as problem:
            return fill(
                _("I cannot read {answer} as {wanted}.").format(
                    answer=as_typed(answer), wanted=problem
                )
            )
        shown = self.kind.show(given)
        if self.kind.same(given, self.solution):
            return fill(_("Correct: {shown}.").format(shown=shown) + " " + self.explanation)
        not_quite = _("Not quite: you answered {shown}.").format(shown=shown)
        for wrong, why in self.diagnoses:
            if self.kind.same(given, wrong):
                return fill(not_quite + " " + why)
        general = self.kind.diagnose(given, self.solution)
        if self.prediction and self.outcome:
            advice = _("Press Run it to see what the simulator did.")
        else:
            advice = self.hint
        return fill(" ".join(filter(None, [not_quite, general, advice])))

    def answer(self) -> str:
        """The solution and why: the learner asks for it (the reveal button calls this)."""
        shown = self.kind.show(self.solution)
        return fill(_("Answer: {shown}.").format(shown=shown) + " " + self.explanation)
