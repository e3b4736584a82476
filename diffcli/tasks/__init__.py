"""The tasks: what each command computes, as a plain record (compare, points, sweep, trace, graph, verify,
hessian, derivative, optimize) and the reading of expression files.  Tasks run methods through
:mod:`diffcli.harness` and never format or print (see ARCHITECTURE.md)."""
