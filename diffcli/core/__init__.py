"""The core: the expression language and what is computed from it, independent of any method.

The primitive table (:mod:`~diffcli.core.primitives`), the parser (:mod:`~diffcli.core.parse`, with
:mod:`~diffcli.core.splitter` and :mod:`~diffcli.core.whitelist`), the graph, the forward passes
(:mod:`~diffcli.core.evaluate`), the one backward loop (:mod:`~diffcli.core.chain`) and its algebras
(:mod:`~diffcli.core.algebra`), code generation (:mod:`~diffcli.core.codegen`,
:mod:`~diffcli.core.fragments`, :mod:`~diffcli.core.statements`, :mod:`~diffcli.core.memory`), printers.
It imports nothing else of diffcli; every other layer imports it (see ARCHITECTURE.md).
"""
