"""The only code that formats: records to table, json, jsonl, csv, markdown or latex text.

Library functions return plain records (dicts); the command line prints what these modules return.
``base`` holds what every format shares; each command's records have a module of their own here.
"""

