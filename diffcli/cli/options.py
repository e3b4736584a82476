"""The option vocabulary: one name, short form, default and meaning for each idea the commands share.

Every command declares its shared options with the types here (and :mod:`diffcli.cli.app`'s ``FileOption``,
``JobsOption``, ``format_option``), so ``--methods``/``-m`` is the algorithm selector of every command,
``--digits`` is 50 everywhere, ``--plot`` takes ``terminal`` or a file everywhere, and ``--quiet``/``-q``
is accepted after the command as before it.  ``tests/test_options.py`` walks every command's parameters and
fails on a second spelling of one idea; the README's option table is the same vocabulary for users.

Old spellings stay for one release as hidden aliases (``--schemes``, ``--optimizer``/``-o``), merged into
the new option by :func:`merged_alias`.  Rules shared by the commands live here too: an option given where
it has no effect is an error saying why (:func:`refuse_unused`), a binding the expression does not use is a
warning, or an error under ``--strict`` (:func:`check_bindings`), and ``--wrt`` defaults to the only
variable (:func:`resolve_wrt`).  A numeric option is checked as it is read by :func:`bounded` (in
:mod:`diffcli.cli.app`, whose ``--jobs`` needs it too) against the library's own bound.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from diffcli.cli.app import bounded, settings

METHODS_HELP = "Comma-separated (default: {default}; diffcli methods describes each):"

NO_FILE = "it runs the lines of --file in parallel, and there is no --file"
"""Why ``--jobs`` has no effect on one expression."""
NO_FILE_MEMORY = "it limits the memory of each line of --file, and there is no --file"
"""Why ``--max-memory`` has no effect on one expression."""


def methods_option(ids: list[str] | None, default: str = "all", help: str = METHODS_HELP):
    """The ``--methods``/``-m`` option: the algorithm selector of every command (methods, Hessian methods,
    sweep schemes, optimizers).  Its help is one line of ids and a pointer to ``diffcli methods``."""
    words = help.format(default=default).split() + [id + "," for id in ids or []]
    if ids:
        words[-1] = words[-1].rstrip(",")
    return typer.Option("--methods", "-m", metavar="IDS", show_default=False, help=unbroken(words))


def unbroken(words: list[str], width: int = 50) -> str:
    """``words`` in lines of at most ``width`` characters, as a paragraph click keeps as it is (``\\b``):
    its own wrapper would break a method id at its hyphen (``fd-`` / ``central``)."""
    lines = [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append("")
        lines[-1] += (" " if lines[-1] else "") + word
    return "\b\n" + "\n".join(lines)


def hidden_alias(*names: str):
    """An old spelling kept working for one release, not shown in ``--help`` (see :func:`merged_alias`)."""
    return typer.Option(*names, hidden=True, show_default=False)


def merged_alias(value, old, old_name: str, new_name: str = "--methods"):
    """The value of an option given under its new name or its old (hidden) one; both at once is an error."""
    from diffcli.core.errors import UsageError

    if old is None:
        return value
    if value is not None:
        raise UsageError(f"{old_name} is the old spelling of {new_name}; give only {new_name}")
    return old


def _quiet(value: bool) -> bool:
    if value:
        settings.quiet = True
    return value


QuietOption = Annotated[bool, typer.Option(
    "--quiet", "-q", callback=_quiet,
    help="Only the records: no notes, warnings or progress.")]
StrictOption = Annotated[bool, typer.Option(
    "--strict", help="Unused bindings are an error, not a warning.")]
DigitsOption = Annotated[int, typer.Option("--digits", metavar="N", help="Digits of the reference (1-1000).",
                                           callback=bounded("diffcli.reference", "DIGITS", "--digits"))]
TimingOption = Annotated[Optional[bool], typer.Option(
    "--timing/--no-timing", show_default=False,
    help="Median times (default: on; off with --file).")]
WrtOption = Annotated[Optional[str], typer.Option(
    "--wrt", metavar="NAME", show_default=False,
    help="Differentiate by NAME (default: the only variable).")]
PlotOption = Annotated[Optional[str], typer.Option(
    "--plot", metavar="terminal|FILE", show_default=False,
    help="'terminal', or a .png/.svg/.pdf FILE (matplotlib).")]
ExpressionOnlyArg = Annotated[str, typer.Argument(
    metavar="EXPR", help="Expression or ';'-separated program.", show_default=False)]


SeedOption = Annotated[int, typer.Option("--seed", metavar="N", help="Seed of the random draws.",
                                         callback=bounded("diffcli.core.bounds", "SEED", "--seed"))]
MaxMemoryOption = Annotated[Optional[int], typer.Option(
    "--max-memory", metavar="MB", show_default=False,
    callback=bounded("diffcli.tasks.files", "MAX_MEMORY", "--max-memory"),
    help="MB one line of --file may use (64-RAM).")]


def given(ctx: typer.Context, name: str) -> bool:
    """Whether parameter ``name`` was given on the command line (not left at its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def refuse_unused(ctx: typer.Context, **why: str | None) -> None:
    """An option given where it has no effect is an error saying why: ``why[name]`` is that reason for
    parameter ``name`` in the mode used, or None where the option does have an effect."""
    from diffcli.core.errors import UsageError

    for name, reason in why.items():
        if reason and given(ctx, name):
            param = next(p for p in ctx.command.params if p.name == name)
            spelled = max(param.opts, key=len)
            raise UsageError(f"{spelled} has no effect here: {reason}")


def timing_default(timing: bool | None, file: str | None) -> bool:
    """``--timing`` unless given: on for one expression, off for ``--file`` (timing every line is slow)."""
    return file is None if timing is None else timing


def check_bindings(graph, point: dict, strict: bool) -> None:
    """Bindings for names the expression does not use: a warning on stderr once the command has run (see
    :attr:`diffcli.cli.app.Settings.warnings`), or an error under --strict."""
    from diffcli.core.errors import UsageError

    unused = [name for name in point if name not in graph.variable_names]
    if not unused:
        return
    names = ", ".join(unused)
    known = ", ".join(graph.variable_names) or "none"
    message = (f"{names} {'is' if len(unused) == 1 else 'are'} not used by the expression "
               f"(its variables: {known})")
    if strict:
        raise UsageError(message + "; drop the binding, or leave out --strict")
    settings.warnings.append(message)


def resolve_wrt(graph, wrt: str | None, mixed: str | None = None) -> str:
    """``--wrt`` as given, or the expression's only variable.  ``mixed`` is why the command cannot take
    several names (``x,z``, the mixed derivative, as ``diff`` reads it); None where it can."""
    from diffcli.core.errors import UsageError

    if wrt is None:
        names = graph.variable_names
        if len(names) == 1:
            return names[0]
        raise UsageError(f"give --wrt NAME: the expression has {len(names) or 'no'} variables"
                         + (f" ({', '.join(names)})" if names else ""))
    if mixed and "," in wrt.strip(", "):
        raise UsageError(f"--wrt {wrt} asks for a mixed derivative (by each name in turn, as in diffcli "
                         f"diff); {mixed}")
    return wrt.strip(", ") if mixed else wrt


def with_wrt(expression, point: dict, task, wrt: str | None, mixed: str | None, **options) -> dict:
    """A file line's task with ``--wrt`` resolved for that line's expression (picklable for --jobs)."""
    from diffcli.core.parse import as_graph

    graph = as_graph(expression)
    return task(graph, point, wrt=resolve_wrt(graph, wrt, mixed), **options)


# ---------------------------------------------------------------- gradcheck (bounds: diffcli.tasks.gradcheck)

SamplesOption = Annotated[int, typer.Option(
    "--samples", help="How many random points (without a point).",
    callback=bounded("diffcli.tasks.gradcheck", "SAMPLES", "--samples"))]
MaxCoordinatesOption = Annotated[int, typer.Option(
    "--max-coordinates", metavar="N", callback=bounded("diffcli.tasks.gradcheck", "MAX_COORDINATES",
                                                       "--max-coordinates"),
    help="Check all coordinates up to N (1-100000), else N sampled.")]
DirectionsOption = Annotated[int, typer.Option(
    "--directions", metavar="N", callback=bounded("diffcli.tasks.gradcheck", "DIRECTIONS", "--directions"),
    help="Random directions checked when sampling (0-1000).")]
RtolOption = Annotated[Optional[float], typer.Option(
    "--rtol", metavar="R", show_default=False,
    callback=bounded("diffcli.tasks.gradcheck", "TOLERANCE", "--rtol"),
    help="Override the bound: |g - d| <= atol + rtol*|d|.")]
AtolOption = Annotated[Optional[float], typer.Option(
    "--atol", metavar="A", show_default=False,
    callback=bounded("diffcli.tasks.gradcheck", "TOLERANCE", "--atol"),
    help="See --rtol (the other one defaults to 0).")]
