"""The one exception type the entry points turn into a one-line message and a non-zero exit."""


class TextrnnError(Exception):
    """Bad input or configuration: the message names the file, line or field and says what to do."""
