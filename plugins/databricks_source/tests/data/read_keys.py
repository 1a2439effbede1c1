"""Read one table of a generated connector the way Lakeflow does, in its own process, and print
chosen fields of every record.

Usage: python read_keys.py PROJECT MODULE CLASS TABLE OFFSET_FILE MAX_CALLS FIELD[,FIELD…]
Options come from the JSON in env READ_OPTIONS, table options from env TABLE_OPTIONS (JSON,
default ``{"max_records_per_batch": "50"}``). Starts from the offset in OFFSET_FILE (if it
exists), calls read_table at most MAX_CALLS times (0: until the offset stops changing), writes
the last offset back, and prints ``{"rows": [[field values…], …], "calls": N}``. A process that
stops after MAX_CALLS is a run killed between checkpoints.
"""

import importlib
import json
import os
import sys
from pathlib import Path

project, module, cls, table, offset_file, max_calls, fields = sys.argv[1:8]
sys.path.insert(0, str(Path(project) / "src"))
connector = getattr(importlib.import_module(module), cls)(json.loads(os.environ["READ_OPTIONS"]))
options = json.loads(os.environ.get("TABLE_OPTIONS") or '{"max_records_per_batch": "50"}')
path = Path(offset_file)
offset = json.loads(path.read_text()) if path.exists() else None
rows, calls = [], 0
while True:
    records, end = connector.read_table(table, offset, options)
    rows += [[record.get(f) for f in fields.split(",")] for record in records]
    calls += 1
    done = end == offset or end is None
    offset = end
    if done or calls == int(max_calls):
        break
path.write_text(json.dumps(offset))
print(json.dumps({"rows": rows, "calls": calls}))
