"""Read one table of a generated connector the way Lakeflow does, in its own process.

Usage: python read_batches.py PROJECT MODULE CLASS TABLE OFFSET_FILE MAX_CALLS [FIELD[,FIELD…]]
Options come from the JSON in env READ_OPTIONS, table options from READ_TABLE_OPTIONS (default
``{"max_records_per_batch": "250"}``).

- OFFSET_FILE ending in ``.jsonl``: a commit log (``tests/commitlog.py``): each batch and its end
  offset are committed together, reading resumes from the last commit and runs to the end
  (MAX_CALLS is ignored); a ``kill -9`` at any moment loses at most the batch in flight.
- Otherwise: starts from the offset in OFFSET_FILE (if it exists), calls read_table at most
  MAX_CALLS times (0: until the offset stops changing), writes the last offset back, and prints
  ``{"ids": [...], "calls": N}`` — or, with FIELDS, ``{"rows": [[field values…], …], "calls":
  N}``. A process that stops after MAX_CALLS is a run killed between checkpoints.
"""

import importlib
import json
import os
import sys
from pathlib import Path

project, module, cls, table, offset_file, max_calls = sys.argv[1:7]
fields = sys.argv[7].split(",") if len(sys.argv) > 7 else None
sys.path.insert(0, str(Path(project) / "src"))
connector = getattr(importlib.import_module(module), cls)(json.loads(os.environ["READ_OPTIONS"]))
options = json.loads(os.environ.get("READ_TABLE_OPTIONS") or '{"max_records_per_batch": "250"}')
path = Path(offset_file)
if path.suffix == ".jsonl":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from commitlog import CommitLog, read_to_end

    calls = read_to_end(connector, table, CommitLog(path), options)
    print(json.dumps({"calls": calls}))
    raise SystemExit(0)
offset = json.loads(path.read_text()) if path.exists() else None
read: list[object] = []
calls = 0
while True:
    records, end = connector.read_table(table, offset, options)
    read += [[r.get(f) for f in fields] if fields else r["id"] for r in records]
    calls += 1
    done = end == offset or end is None
    offset = end
    if done or calls == int(max_calls):
        break
path.write_text(json.dumps(offset))
print(json.dumps({"rows" if fields else "ids": read, "calls": calls}))
