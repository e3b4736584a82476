"""Text layout that does not depend on the format: text lines wrapped or packed to a width, and plain
text as LaTeX that ``pdflatex`` reads without packages.  :mod:`diffcli.render.base` uses these for every
format; views use :func:`packed` for lines of parts that must not be broken."""

from __future__ import annotations

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
