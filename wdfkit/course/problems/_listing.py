"""How a problem shows the driver's code: one call a line, indented under the question."""


def listing(lines: list[str]) -> str:
    """*lines* as a block of code inside a question: each on its own line, indented four
    spaces, with a line break before and after."""
    return "\n    " + "\n    ".join(lines) + "\n"
