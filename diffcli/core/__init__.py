"""The core: the expression language and what is computed from it, independent of any method.

The primitive table (:mod:`~diffcli.core.primitives`), the parser, the graph, the one backward loop and its
algebras (:mod:`~diffcli.core.chain`), code generation, printers.  It imports nothing else of diffcli; every
other layer imports it (see ARCHITECTURE.md).
"""
