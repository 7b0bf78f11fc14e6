"""The one exception type the entry points turn into a one-line message and a non-zero exit."""

from __future__ import annotations

MAX_MESSAGE = 600  # characters: a message quoting a huge field keeps its start and its end (the fix)


class TextrnnError(Exception):
    """Bad input or configuration: the message names the file, line or field and says what to do.

    Its text is one line (white space folded) of at most :data:`MAX_MESSAGE` characters: what it
    quotes from the input (a 50 MB header line, say) is cut in the middle.
    """

    def __str__(self) -> str:
        message = " ".join(super().__str__().split())
        if len(message) <= MAX_MESSAGE:
            return message
        half = (MAX_MESSAGE - 5) // 2
        return f"{message[:half]} […] {message[-half:]}"
