"""The only code that formats: records to table, json, jsonl, csv, markdown or latex text.

Library functions return plain records (dicts).  Each command's module here builds a view of its records
(``view(record)``, and ``file_view(records)`` for an expression file); :mod:`diffcli.render.base` alone
turns a view into the text of a format, and ``render(record, fmt)`` in each module does both.  The command
line prints what these return, and writes the files (plot images, histories) whose bytes they return.
"""
