"""Reading the table files of ``compare --points`` and ``optimize --data`` within bounds.

A file is read with a size (never a read that could take a whole file), refused once it is longer than
:data:`MAX_TABLE_BYTES`, so ``/dev/zero`` or an endless pipe costs that much memory and no more.  Text is
UTF-8, a byte order mark is skipped; CSV fields and ``.npy`` headers are checked before anything is built
from them.  Every problem is a :class:`~diffcli.core.errors.UsageError` naming the file.
"""

from __future__ import annotations

import csv
import io
import sys
from typing import Iterator

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


def csv_rows(text: str, what: str, name: str, first_line: int = 1) -> list[tuple[int, list[str]]]:
    """``(line number, cells)`` of each CSV row that is not blank; a field longer than
    :data:`MAX_CSV_FIELD_CHARS` or a NUL byte is refused with its line (``text`` begins at line
    ``first_line`` of the file).

    >>> csv_rows("x,y\\n\\n1,2\\n", "data file", "d.csv")
    [(1, ['x', 'y']), (3, ['1', '2'])]
    """
    return list(each_csv_row(text, what, name, first_line))


def each_csv_row(text: str, what: str, name: str, first_line: int = 1) -> Iterator[tuple[int, list[str]]]:
    """:func:`csv_rows` one row at a time."""
    reader = csv.reader(io.StringIO(text, newline=""))
    skipped = first_line - 1
    too_long = f"a field longer than {MAX_CSV_FIELD_CHARS:,} characters (MAX_CSV_FIELD_CHARS)"
    try:
        for row in reader:
            if any(len(cell) > MAX_CSV_FIELD_CHARS for cell in row):
                raise UsageError(f"{name}: line {reader.line_num + skipped}: {too_long}")
            if any(cell.strip() for cell in row):
                yield reader.line_num + skipped, row
    except csv.Error as error:  # the csv module's own field limit (131,072) is far above ours
        problem = too_long if "field larger" in str(error) else f"not CSV ({error})"
        raise UsageError(f"{name}: line {reader.line_num + skipped}: {problem}") from None


def header(cells: list[str], what: str, name: str) -> list[str]:
    """The column names of a header row, stripped; a name given twice is refused (it would merge two
    columns)."""
    names = [cell.strip() for cell in cells]
    repeated = next((n for k, n in enumerate(names) if n and n in names[:k]), None)
    if repeated is not None:
        raise UsageError(f"the {what} {name!r} has the column {repeated!r} twice")
    return names


def open_input(path: str, what: str):
    """The file at ``path`` opened for reading bytes (``-`` is stdin); ``what`` names it when it cannot be
    opened (a UsageError)."""
    if path == "-":
        return binary(sys.stdin)
    try:
        return open(path, "rb")
    except OSError as error:
        raise UsageError(f"cannot read the {what} {path!r}: {error.strerror or error}") from None


def read_line(readline, limit: int, piece: int = 1 << 16) -> bytes | None:
    """The rest of the current line of a binary file, its newline kept (``b""`` at the end of the file),
    by ``readline(size)`` in pieces of at most ``piece`` bytes; None once more than ``limit`` bytes of it
    are read, so that a file without newlines (``/dev/zero``) costs ``limit + 1`` bytes at most.

    >>> source = io.BytesIO(b"ab\\ncdef")
    >>> read_line(source.readline, 3), read_line(source.readline, 3)
    (b'ab\\n', None)
    """
    pieces, size = [], 0
    while not pieces or not pieces[-1].endswith(b"\n"):
        if size > limit:
            return None
        pieces.append(readline(min(piece, limit + 1 - size)))
        if not pieces[-1]:
            break
        size += len(pieces[-1])
    return b"".join(pieces)


# ---------------------------------------------------------------- CSV read as a stream of chunks

CSV_BLOCK_BYTES = 1 << 21
"""A CSV points file is read in blocks of about this many bytes (2 MiB, some 60,000 rows of two numbers),
each ended at a newline and parsed by numpy's compiled reader; memory is bounded by the block, not the
file."""

MAX_ROW_BYTES = 1 << 22
"""Longest line of a CSV points file, in bytes (4 MiB: 4,000 fields of :data:`MAX_CSV_FIELD_CHARS`); a
longer one (``/dev/zero``) is refused once this many bytes of it are read."""


USE_ARROW = True
"""Parse CSV blocks with pyarrow when it is installed (``pip install "diffcli[arrow]"``): about five times
faster than ``numpy.loadtxt`` at reading numbers (benchmarks/throughput.py); numpy otherwise."""

ARROW_MIN_BYTES = 1 << 20
"""Smaller blocks (a small file) are read by numpy: importing pyarrow costs more than it saves there."""


def _arrow():
    try:
        import pyarrow.csv
    except (ImportError, MemoryError):  # not installed, or no room for it under a memory limit
        return None
    return pyarrow.csv


def _arrow_rows(block: bytes, width: int):
    """A block's rows by pyarrow's CSV reader, every column a float64 and no text taken for a missing value
    (so ``NA`` or an empty cell is refused, as ``float()`` refuses them); None where it refuses."""
    import numpy as np
    import pyarrow

    csv_module = _arrow()
    names = [f"c{k}" for k in range(width)]
    try:
        table = csv_module.read_csv(
            io.BytesIO(block), read_options=csv_module.ReadOptions(column_names=names),
            parse_options=csv_module.ParseOptions(quote_char=False),
            convert_options=csv_module.ConvertOptions(column_types=dict.fromkeys(names, pyarrow.float64()),
                                                      null_values=[], strings_can_be_null=False))
    except (pyarrow.ArrowInvalid, ValueError):
        return None
    if not table.num_rows or any(column.null_count for column in table.columns):
        return None
    return np.column_stack([column.to_numpy() for column in table.columns])


class Encoded:
    """A text file (``io.StringIO`` as stdin in tests) read as UTF-8 bytes, a bounded piece at a time."""

    def __init__(self, text):
        self.text = text

    def read(self, size: int) -> bytes:
        return self.text.read(size).encode()

    def readline(self, size: int) -> bytes:
        return self.text.readline(size).encode()


def binary(source):
    """The binary file behind ``source`` (``sys.stdin``'s buffer), or ``source`` read as bytes."""
    if hasattr(source, "buffer"):
        return source.buffer
    return Encoded(source) if isinstance(source, io.TextIOBase) else source


class CsvBlocks:
    """The rows of a CSV table read from an open binary file block by block: :attr:`names` (the header,
    read first) and, iterated, ``(first line number, array of rows × columns)`` for each block.

    A block of plain ASCII numbers is parsed by ``numpy.loadtxt`` (compiled); a block it refuses — or one
    with quotes, NUL bytes, text that is not ASCII or a field longer than :data:`MAX_CSV_FIELD_CHARS` — is
    read again by :func:`csv_rows` and ``float()`` per cell, so every number is read as ``float()`` reads
    it and every problem is named with its line exactly as for a whole file.

    >>> blocks = CsvBlocks(io.BytesIO(b"\\xef\\xbb\\xbfx,y\\n1,2\\n\\n3,4e-1\\n"), "points file", "p.csv")
    >>> blocks.names, [(line, rows.tolist()) for line, rows in blocks]
    (['x', 'y'], [(2, [[1.0, 2.0], [3.0, 0.4]])])
    """

    def __init__(self, source, what: str, name: str):
        self.source, self.what, self.name = source, what, name
        self.line, self.offset = 1, 0   # the number and byte offset of the next line to read
        self.names = self._header()

    def _line_bytes(self) -> bytes:
        """The rest of the current line, newline included, read in bounded pieces."""
        line = read_line(lambda size: self._read(self.source.readline, size), MAX_ROW_BYTES)
        if line is None:
            raise UsageError(f"{self.name}: line {self.line} is longer than {MAX_ROW_BYTES:,} bytes "
                             "(MAX_ROW_BYTES)")
        return line

    def _read(self, read, size: int) -> bytes:
        try:
            return read(size)
        except OSError as error:
            raise UsageError(f"cannot read the {self.what} {self.name!r}: "
                             f"{error.strerror or error}") from None

    def _header(self) -> list[str]:
        while True:
            raw = self._line_bytes()
            if not raw:
                raise UsageError(f"{self.name}: the {self.what} is empty; it needs a header of variable "
                                 "names")
            text = self._decode(raw.removeprefix(b"\xef\xbb\xbf") if self.line == 1 else raw)
            rows = csv_rows(text, self.what, self.name, self.line)
            self.line, self.offset = self.line + raw.count(b"\n"), self.offset + len(raw)
            if rows:
                return header(rows[0][1], self.what, self.name)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UsageError(f"the {self.what} {self.name!r} is not UTF-8 text (byte "
                             f"{self.offset + error.start + 1})") from None

    def __iter__(self):
        while True:
            block = self._read(self.source.read, CSV_BLOCK_BYTES)
            if not block:
                return
            if not block.endswith(b"\n"):
                block += self._line_bytes()
            rows = self._fast(block)
            if rows is None:
                rows = self._slow(block)
            first = self.line
            self.line, self.offset = self.line + block.count(b"\n"), self.offset + len(block)
            if len(rows):
                yield first, rows

    def _fast(self, block: bytes):
        """The block's rows by ``numpy.loadtxt``, or None where only the careful reader can tell."""
        import warnings

        import numpy as np

        if not block.isascii() or b'"' in block or b"\0" in block:
            return None
        data = np.frombuffer(block, dtype=np.uint8)
        for ends in (data == ord("\n"), (data == ord(",")) | (data == ord("\n"))):  # lines, then fields
            if np.diff(np.flatnonzero(ends), prepend=-1, append=len(data)).max() <= MAX_CSV_FIELD_CHARS + 1:
                break
        else:
            return None
        if USE_ARROW and len(block) >= ARROW_MIN_BYTES and _arrow() is not None:
            return _arrow_rows(block, len(self.names))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an all-blank block: "input contained no data"
                rows = np.loadtxt(io.BytesIO(block), delimiter=",", comments=None, ndmin=2, dtype=float)
        except ValueError:
            return None
        return rows if rows.shape[1] == len(self.names) and len(rows) else None

    def _slow(self, block: bytes):
        """The block's rows read cell by cell, naming the first problem with its line."""
        import numpy as np

        values = np.empty((block.count(b"\n") + 1, len(self.names)))
        count = 0
        for number, row in each_csv_row(self._decode(block), self.what, self.name, self.line):
            if len(row) != len(self.names):
                raise UsageError(f"{self.name}: line {number} has {len(row)} values for {len(self.names)} "
                                 "columns")
            for j, cell in enumerate(row):
                try:
                    values[count, j] = float(cell)
                except ValueError:
                    raise UsageError(f"{self.name}: line {number}: {cell!r} is not a number") from None
            count += 1
        return values[:count]


def npy_header(stream, what: str) -> tuple:
    """``(shape, fortran_order, dtype, data_bytes)`` of the ``.npy`` array that ``stream`` (at its start)
    holds, read from its header alone, before numpy allocates anything; ``data_bytes`` is what the shape
    and dtype need.  A stream that is not a ``.npy`` array is a UsageError naming ``what``."""
    import math

    import numpy as np

    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f".npy format version {version} is not supported")
        shape, fortran, dtype = read_header(stream)
    except (ValueError, EOFError, SyntaxError, TypeError) as error:
        raise UsageError(f"{what}: not a .npy array ({str(error) or type(error).__name__})") from None
    return shape, fortran, dtype, math.prod(shape) * dtype.itemsize


NUMBER_KINDS = "fiu"
"""The dtype kinds a points array may hold: float, signed and unsigned integer (complex numbers, dates,
text and objects are refused)."""


def npy_columns(stream, size: int, path: str, memory_map: bool) -> dict:
    """The columns of a ``.npy`` points file (``{name: array}``), its header checked before any array is
    made: a dtype of real numbers (or a flat structure of them), and exactly as many data bytes as the shape
    says.  With ``memory_map`` the columns are views of a memory map of ``path`` (converted to floats a
    chunk at a time by the caller); a plain 2-D array's columns are named ``0, 1, …``."""
    import math

    import numpy as np

    shape, fortran, dtype, data_bytes = npy_header(stream, path)
    fields = [dtype.fields[name][0] for name in dtype.names] if dtype.names else [dtype]
    if any(f.names or f.subdtype or f.kind not in NUMBER_KINDS for f in fields):
        raise UsageError(f"{path}: the .npy array holds {dtype}; points must be real numbers (a plain array, "
                         "or a structured array with one number field per variable)")
    if len(shape) != (1 if dtype.names else 2):
        raise UsageError(f"{path}: a {'structured' if dtype.names else 'plain'} .npy points array must be "
                         f"{'1-D' if dtype.names else '2-D (points × variables)'}, not of shape {shape}")
    offset = stream.tell()
    if data_bytes != size - offset:
        raise UsageError(f"{path}: the .npy header says {shape} of {dtype}, but the file holds "
                         f"{size - offset:,} bytes of data")
    if memory_map:
        array = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape,
                          order="F" if fortran else "C") if math.prod(shape) else np.empty(shape, dtype)
    else:
        stream.seek(0)
        loaded = np.load(stream, allow_pickle=False)
        array = loaded.astype([(n, float) for n in dtype.names] if dtype.names else float)
    if dtype.names:
        return {name: array[name] for name in dtype.names}
    return {str(k): array[:, k] for k in range(shape[1])}
