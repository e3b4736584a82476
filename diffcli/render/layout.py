"""Text layout that does not depend on the format: text lines wrapped or packed to a width, and plain
text as LaTeX that ``pdflatex`` reads without packages, control characters shown as escapes
(:func:`printable`).  :mod:`diffcli.render.base` uses these for every format; views use :func:`packed` for
lines of parts that must not be broken."""

from __future__ import annotations

import re
import textwrap


def wrap(line: str, width: int, indent: str = "    ") -> list[str]:
    """A text line as lines of at most ``width`` characters (broken at spaces, continued under ``indent``);
    a line that fits, or a word longer than the width, stays whole."""
    if len(line) <= width:
        return [line]
    return textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [line]


def packed(parts: list[str], width: int, first: str = "", separator: str = "   ",
           indent: str = "    ") -> list[str]:
    """``first`` and ``parts`` on as few lines of ``width`` as fit, a part never broken.

    >>> packed(["a = 1", "b = 2", "c = 3"], 14, first="ref:")
    ['ref:   a = 1', '    b = 2', '    c = 3']
    """
    lines, line = [], first
    for part in parts:
        joined = f"{line}{separator}{part}" if line.strip() else f"{line}{part}"
        if len(joined) <= width or not line.strip():
            line = joined
        else:
            lines.append(line)
            line = indent + part
    return lines + [line]


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}"}
_LATEX_SYMBOLS = {"∂": r"$\partial$", "×": r"$\times$", "·": r"$\cdot$", "²": r"$^2$", "µ": r"$\mu$",
                  "μ": r"$\mu$", "±": r"$\pm$", "≤": r"$\le$", "≥": r"$\ge$", "…": r"\ldots{}", "—": "---",
                  "–": "--", "★": "*", "√": r"$\surd$", "ǀ": r"\textbar{}",
                  "ε": r"$\varepsilon$"}


def latex_text(text: str) -> str:
    r"""Plain text as LaTeX that ``pdflatex`` reads without packages: special characters escaped, the symbols
    diffcli prints as math commands, any other non-ASCII character as ``?``.

    >>> latex_text("∂f/∂x × 2 & 5%")
    '$\\partial$f/$\\partial$x $\\times$ 2 \\& 5\\%'
    """
    out = []
    for char in text:
        if char in _LATEX_SPECIAL:
            out.append(_LATEX_SPECIAL[char])
        elif char in _LATEX_SYMBOLS:
            out.append(_LATEX_SYMBOLS[char])
        else:
            out.append(char if char.isascii() else "?")
    return "".join(out)


UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""What a terminal would act on instead of showing: C0 controls but tab and newline (ESC starts escape
sequences, BEL, carriage return), DEL, C1 controls (U+009B is a one-byte CSI), and the bidirectional
controls and line separators that reorder or break what is shown (U+202E turns text around)."""


def printable(text: str) -> str:
    """``text`` with control characters and bidirectional overrides shown as visible escapes, ``\\x1b``
    (up to U+00FF) or ``\\u202e``; everything else (tab, newline, any other Unicode) as it is.  Every
    human-readable output goes through it: table cells and headers, text lines, notes, and the error and
    caret lines of the command line.  (A backslash is left alone: ``\\x1b`` in the output may also be
    those four characters in the input.)

    >>> printable("x\\x1b]0;PWNED\\x07+1 \\u202e")
    'x\\\\x1b]0;PWNED\\\\x07+1 \\\\u202e'
    """
    return UNSAFE.sub(_escape, text)


def _escape(match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
