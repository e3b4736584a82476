"""The inputs of a function under ``gradcheck``: one numpy array of any shape (``f(W)``), or several named
arrays or scalars (``f(W, b)``, called by keyword), flattened into one vector of coordinates and back.

Points come from ``.npy`` (one array), ``.npz`` (named arrays, in the file's order) or ``.json`` files (a
number or nested list: one array; an object: named inputs), from ``NAME=VALUE`` words (named scalars), or
are drawn at random in a box (:func:`random_points`).  Every size is bounded before memory is spent.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

from diffcli.core.bounds import Bound
from diffcli.core.errors import UsageError
from diffcli.core.lazy import LazyNumpy
from diffcli.tasks.optimize import parse_box
from diffcli.tasks.reading import npy_header

np = LazyNumpy(globals())

MAX_INPUT_COORDINATES = Bound(1, 10_000_000, "coordinates of one point: its arrays are held in memory, "
                                             "flattened and copied for each difference")
"""Coordinates of one point (all its arrays together)."""
MAX_POINT_BYTES = 400_000_000
"""A point file larger than this is refused before it is read."""
"""Each end of ``--box LOW:HIGH``."""
DTYPES = ("float64", "float32")
"""The floating-point types a point may have; integers and booleans are read as float64."""


@dataclass(frozen=True)
class Inputs:
    """The shape of a point: ``names`` None for one positional array, else the keyword names; each input's
    shape and dtype."""

    names: tuple | None
    shapes: tuple
    dtype: str

    @property
    def sizes(self) -> list[int]:
        return [math.prod(s) for s in self.shapes]

    @property
    def size(self) -> int:
        return sum(self.sizes)

    def flat(self, point) -> "np.ndarray":
        """The point's coordinates as one float64 vector (exact: float32 values are float64 values)."""
        arrays = [point] if self.names is None else [point[n] for n in self.names]
        return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])

    def build(self, flat, dtype=None):
        """The arguments for a call from a flat vector, in ``dtype`` (default: the point's own)."""
        dtype = dtype or self.dtype
        parts, start = [], 0
        for shape, size in zip(self.shapes, self.sizes):
            part = np.asarray(flat[start:start + size], dtype=dtype).reshape(shape)
            parts.append(part[()] if shape == () else part)
            start += size
        return parts[0] if self.names is None else dict(zip(self.names, parts))

    def label(self, index: int) -> tuple[str, tuple]:
        """Coordinate ``index`` of the flat vector as ``(input name, index in that input)``."""
        for k, (shape, size) in enumerate(zip(self.shapes, self.sizes)):
            if index < size:
                name = "x" if self.names is None else self.names[k]
                return name, tuple(int(i) for i in np.unravel_index(index, shape)) if shape else ()
            index -= size
        raise IndexError(index)

    def input_of(self, name: str) -> tuple[int, tuple]:
        """The first flat index and the shape of input ``name``."""
        names = ["x"] if self.names is None else list(self.names)
        k = names.index(name)
        return sum(self.sizes[:k]), self.shapes[k]


def shown(name: str, index: tuple) -> str:
    """``W[1, 2]``, ``b[3]``, or ``lr`` for a scalar."""
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def structure(point) -> Inputs:
    """The :class:`Inputs` of a point: an array, a number or a nested list; or a dict of them."""
    if isinstance(point, dict):
        if not point:
            raise UsageError("the point has no inputs")
        arrays = {str(name): _array(value, str(name)) for name, value in point.items()}
        names = tuple(arrays)
    else:
        arrays, names = {"x": _array(point, "the point")}, None
    dtypes = {a.dtype.name for a in arrays.values()}
    dtype = "float32" if dtypes == {"float32"} else "float64"
    inputs = Inputs(names, tuple(a.shape for a in arrays.values()), dtype)
    MAX_INPUT_COORDINATES.check(inputs.size, "coordinates of a point")
    return inputs


def _array(value, name: str):
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise UsageError(f"{name} is not an array of numbers: {error}") from None
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype.name not in DTYPES:
        raise UsageError(f"{name} has dtype {array.dtype.name}; gradcheck reads {' or '.join(DTYPES)} "
                         "(integers as float64)")
    if not np.isfinite(array).all():
        raise UsageError(f"{name} holds a value that is not finite")
    return array


def _check_npy(stream, size: int, what: str) -> None:
    """Refuse a ``.npy`` array (a file, or a member of a ``.npz``) from its header alone: one whose data
    is not the size its header says, or which holds more coordinates than a point may."""
    shape, _, _, data_bytes = npy_header(stream, what)
    if data_bytes != size - stream.tell():
        raise UsageError(f"--at: {what}: the .npy header says shape {shape}, but the file holds "
                         f"{size - stream.tell():,} bytes of data")
    MAX_INPUT_COORDINATES.check(math.prod(shape), f"coordinates in {what}")


def read_point(path: str):
    """One point from a ``.npy``, ``.npz`` or ``.json`` file (see the module docstring)."""
    if not os.path.isfile(path):
        raise UsageError(f"--at: no file {path!r}")
    if os.path.getsize(path) > MAX_POINT_BYTES:
        raise UsageError(f"--at: {path} is larger than {MAX_POINT_BYTES:,} bytes")
    suffix = os.path.splitext(path)[1].lower()
    try:
        if suffix == ".npy":
            with open(path, "rb") as stream:
                _check_npy(stream, os.path.getsize(path), path)
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                for name in archive.files:  # each member's header before it is decompressed
                    stored = name + ".npy" if name + ".npy" in archive.zip.namelist() else name
                    member = archive.zip.getinfo(stored)
                    with archive.zip.open(member) as stream:
                        _check_npy(stream, member.file_size, f"{path}[{name}]")
                return {name: archive[name] for name in archive.files}
        if suffix == ".json":
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
    except (OSError, ValueError, EOFError) as error:
        raise UsageError(f"--at: cannot read {path}: {' '.join(str(error).split())}") from None
    raise UsageError(f"--at: {path} is not a .npy, .npz or .json file")


def random_points(shapes: dict | tuple, samples: int, seed: int, low: float, high: float,
                  dtype: str = "float64") -> list:
    """``samples`` points uniform in ``[low, high]`` of each coordinate, reproducible from ``seed``:
    ``shapes`` a tuple (one array) or a dict name → shape (named inputs).

    >>> [p.shape for p in random_points((2, 3), 2, 0, -1.0, 1.0)]
    [(2, 3), (2, 3)]
    """
    rng = np.random.default_rng(seed)
    named = isinstance(shapes, dict)
    total = sum(math.prod(s) for s in (shapes.values() if named else [shapes]))
    MAX_INPUT_COORDINATES.check(total * samples, "coordinates of all random points together")
    draw = lambda shape: rng.uniform(low, high, size=shape).astype(dtype)  # noqa: E731
    return [{name: draw(shape) for name, shape in shapes.items()} if named else draw(shapes)
            for _ in range(samples)]


MAX_DIMENSIONS = 32
"""Dimensions of a ``--shape`` (numpy's own limit is 64)."""


def parse_shape(text: str) -> tuple[str | None, tuple]:
    """``3,4`` → ``(None, (3, 4))``; ``W=3,4`` → ``("W", (3, 4))``; ``lr=`` → ``("lr", ())``."""
    name, equals, dims = text.partition("=")
    if not equals:
        name, dims = None, text
    elif not name.strip().isidentifier():
        raise UsageError(f"--shape {text!r}: {name.strip()!r} is not an input name")
    words = [w.strip() for w in dims.replace("x", ",").split(",") if w.strip()]
    if len(words) > MAX_DIMENSIONS or not all(w.isdigit() and int(w) > 0 for w in words):
        raise UsageError(f"--shape {text!r}: give sizes like 3,4 (positive whole numbers, at most "
                         f"{MAX_DIMENSIONS} of them)")
    return (name.strip() if name else None), tuple(int(w) for w in words)


def points_from_options(files: list, words: list, shapes: list, samples: int, seed: int, box: str,
                        dtype: str) -> list:
    """The points of the command line: each ``--at`` file, the ``NAME=VALUE`` words (named scalars, added
    to every file's named inputs), or ``samples`` random points of the ``--shape`` s in ``--box``."""
    from diffcli.core.parse import parse_point

    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r}: give {' or '.join(DTYPES)}")
    scalars = {name: np.asarray(value, dtype=dtype) for name, value in parse_point(words).items()}
    if shapes:
        if files or scalars:
            raise UsageError("--shape draws random points; it cannot be combined with --at or NAME=VALUE")
        parsed = [parse_shape(s) for s in shapes]
        named = [n for n, _ in parsed if n is not None]
        if named and len(named) != len(parsed) or len(parsed) > 1 and not named:
            raise UsageError("give one --shape D,D for one array, or NAME=D,D for every named input")
        low, high = parse_box(box)
        layout = dict(parsed) if named else parsed[0][1]
        return random_points(layout, samples, seed, low, high, dtype)
    points = [read_point(path) for path in files]
    if scalars:
        if not points:
            return [scalars]
        if not all(isinstance(p, dict) for p in points):
            raise UsageError("NAME=VALUE adds named inputs; the --at file holds one unnamed array")
        points = [{**p, **scalars} for p in points]
    if not points:
        raise UsageError("give a point: --at FILE, NAME=VALUE, or --shape (with --samples) for random ones")
    return points
