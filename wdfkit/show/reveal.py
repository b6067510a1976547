"""The learner's own act of looking: buttons that show what a problem's run did, or its answer.

``reveal(problem)`` in a notebook cell shows "Run it" (for a prediction: what the simulator
showed when it ran the problem's calls — a blue screen, a status, a count) and "Show the
answer".  Nothing is shown until a button is pressed, and widget output is never stored in a
committed notebook, so a notebook read on GitHub or re-run by nbval shows no solution.
"""

import html

import ipywidgets as W
from IPython.display import display

from ..course.problem import Problem
from ..language import _

__all__ = ["Reveal", "reveal"]


class Reveal:
    """The two buttons of *problem* and the text they show; ``run_it()`` and ``show_answer()``
    are what the buttons call (tests call them directly)."""

    def __init__(self, problem: Problem) -> None:
        if not isinstance(problem, Problem):
            raise TypeError(
                "reveal: problem must be a Problem (make_problem(label, seed)), "
                f"not {type(problem).__name__}"
            )
        self.problem = problem
        self.text = W.HTML(layout=W.Layout(width="100%"))
        buttons = []
        if problem.outcome:
            self.run_button = W.Button(description=_("Run it"), layout=W.Layout(width="auto"))
            self.run_button.on_click(lambda _b: self.run_it())
            buttons.append(self.run_button)
        self.answer_button = W.Button(
            description=_("Show the answer"), layout=W.Layout(width="auto")
        )
        self.answer_button.on_click(lambda _b: self.show_answer())
        buttons.append(self.answer_button)
        self.widget = W.VBox([W.HBox(buttons), self.text])
        self.widget.add_class("wdfkit-reveal")

    def run_it(self) -> None:
        """Show what the simulator did when it ran the problem's calls."""
        heading = _("[{label}, seed {seed}] The simulator:")
        self._show(
            heading.format(label=self.problem.label, seed=self.problem.seed), self.problem.outcome
        )

    def show_answer(self) -> None:
        """Show the solution and why."""
        heading = _("[{label}, seed {seed}]")
        self._show(
            heading.format(label=self.problem.label, seed=self.problem.seed), self.problem.answer()
        )

    def _show(self, heading: str, body: str) -> None:
        self.text.value = (
            f"<b>{html.escape(heading)}</b>"
            f"<pre style='white-space: pre-wrap; margin: 4px 0'>{html.escape(body)}</pre>"
        )

    def _ipython_display_(self) -> None:
        display(self.widget)


def reveal(problem: Problem) -> Reveal:
    """Buttons that show, when pressed, what *problem*'s run did and its answer."""
    return Reveal(problem)
