"""``diffcli methods``: every method of the registry and every update rule of ``optimize``, one line each.

The ``--methods`` help of each command is one line of ids; this is where each id is described.  The
record is built from the registries (:data:`diffcli.methods.METHODS`, :data:`diffcli.tasks.updates.RULES`),
so a method registered there is listed here without a change.
"""

from __future__ import annotations

from diffcli.cli.app import FormatOption, app, emit
from diffcli.cli.options import QuietOption

COMMANDS = {"point": "compare", "arrays": "compare --points", "hessian": "hessian", "sweep": "eps-sweep"}
"""The command that runs each form of a method (the registry's form names)."""


def methods_record() -> dict:
    """``{"methods": [{"id", "commands", "summary"}], "optimizers": [{"id", "summary"}]}``.

    >>> record = methods_record()
    >>> [m["commands"] for m in record["methods"] if m["id"] == "symbolic"]
    [['compare', 'compare --points', 'hessian']]
    """
    from diffcli.methods import METHODS
    from diffcli.methods.registry import ids
    from diffcli.tasks.updates import RULES

    offered = {form: set(ids(form)) for form in COMMANDS}
    methods = []
    for entry in METHODS.values():
        commands = [command for form, command in COMMANDS.items() if entry.id in offered[form]]
        summary = entry.summary if entry.prepare is not None else entry.hessian_summary or entry.summary
        methods.append({"id": entry.id, "commands": commands, "summary": summary})
    optimizers = [{"id": rule.id, "summary": rule.summary} for rule in RULES.values()]
    return {"methods": methods, "optimizers": optimizers}


@app.command(short_help="Every method id and update rule, one line each.",
             help="Every method id (compare, compare --points, hessian, eps-sweep: --methods) and every "
                  "update rule (optimize --methods), one line each.\n\n"
                  "Example: diffcli methods")
def methods(format: FormatOption = "table", quiet: QuietOption = False):
    from diffcli.render.base import Table, View, render

    record = methods_record()
    method_rows = [[m["id"], ", ".join(m["commands"]), m["summary"]] for m in record["methods"]]
    rule_rows = [[r["id"], "optimize", r["summary"]] for r in record["optimizers"]]
    view = View(record, body=lambda: [Table(["id", "commands", "what it is"], method_rows + rule_rows)])
    emit(render(view, format))
