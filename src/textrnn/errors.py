"""The exception the entry points turn into a one-line message and a non-zero exit, and the kind of it
that names the argument to fix."""

from __future__ import annotations

import re
from collections.abc import Callable

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


ARGUMENT = re.compile(r"`([A-Za-z_][\w.]*)`")


class ArgumentError(TextrnnError):
    """Bad input that one of the caller's arguments can fix: the message names each argument between
    backticks (``set `encoding` to the file's encoding``), by the library's name for it.

    An entry point whose users know the arguments by other names — config keys — shows the message
    in theirs with :meth:`naming`.
    """

    def naming(self, name: Callable[[str], str]) -> TextrnnError:
        """The message with each argument ``a`` in backticks written ``name(a)``, as a plain :class:`TextrnnError`."""
        return TextrnnError(ARGUMENT.sub(lambda found: name(found[1]), super().__str__()))
