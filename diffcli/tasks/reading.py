"""Reading the table files of ``compare --points`` and ``optimize --data`` within bounds.

A file is read with a size (never a read that could take a whole file), refused once it is longer than
:data:`MAX_TABLE_BYTES`, so ``/dev/zero`` or an endless pipe costs that much memory and no more.  Text is
UTF-8, a byte order mark is skipped; CSV fields and ``.npy`` headers are checked before anything is built
from them.  Every problem is a :class:`~diffcli.core.errors.UsageError` naming the file.
"""

from __future__ import annotations

import csv
import io

from diffcli.core.errors import UsageError

MAX_TABLE_BYTES = 32 * 2 ** 20
"""Largest points or data file, in bytes (32 MiB: about two million numbers).  Reading a CSV holds its text
and each number as a Python float (about eight times the file's size), so this keeps reading well under
300 MB; larger sets belong in a ``.npy`` file of the same size limit or in the Python API."""

MAX_CSV_FIELD_CHARS = 1_000
"""Longest CSV field (a number or a column name); Python's csv module would stop at 131,072 with its own
exception, and no number needs more than a few dozen characters."""


def read_bytes(source, what: str, name: str) -> bytes | str:
    """The content of ``source`` — a path, or an open file (binary, or text such as ``io.StringIO``) — read
    with a size and refused past :data:`MAX_TABLE_BYTES`; ``what`` names the file in messages.

    >>> read_bytes(io.BytesIO(b"x\\n1\\n"), "data file", "d.csv")
    b'x\\n1\\n'
    """
    try:
        if hasattr(source, "read"):
            source = getattr(source, "buffer", source)  # sys.stdin: its bytes, decoded here
            content = source.read(MAX_TABLE_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                content = handle.read(MAX_TABLE_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read the {what} {name!r}: {error.strerror or error}") from None
    if len(content) > MAX_TABLE_BYTES:
        raise UsageError(f"the {what} {name!r} is larger than {MAX_TABLE_BYTES:,} bytes (MAX_TABLE_BYTES)")
    return content


def decode(content: bytes | str, what: str, name: str) -> str:
    """UTF-8 text, a byte order mark skipped; bytes that are not UTF-8 are refused with their position."""
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(f"the {what} {name!r} is not UTF-8 text (byte {error.start + 1})") from None


def csv_rows(text: str, what: str, name: str) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of each CSV row that is not blank; a field longer than
    :data:`MAX_CSV_FIELD_CHARS` or a NUL byte is refused with its line.

    >>> csv_rows("x,y\\n\\n1,2\\n", "data file", "d.csv")
    [(1, ['x', 'y']), (3, ['1', '2'])]
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    too_long = f"a field longer than {MAX_CSV_FIELD_CHARS:,} characters (MAX_CSV_FIELD_CHARS)"
    rows = []
    try:
        for row in reader:
            if any(len(cell) > MAX_CSV_FIELD_CHARS for cell in row):
                raise UsageError(f"{name}: line {reader.line_num}: {too_long}")
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
    except csv.Error as error:  # the csv module's own field limit (131,072) is far above ours
        problem = too_long if "field larger" in str(error) else f"not CSV ({error})"
        raise UsageError(f"{name}: line {reader.line_num}: {problem}") from None
    return rows


def header(cells: list[str], what: str, name: str) -> list[str]:
    """The column names of a header row, stripped; a name given twice is refused (it would merge two
    columns)."""
    names = [cell.strip() for cell in cells]
    repeated = next((n for k, n in enumerate(names) if n and n in names[:k]), None)
    if repeated is not None:
        raise UsageError(f"the {what} {name!r} has the column {repeated!r} twice")
    return names
