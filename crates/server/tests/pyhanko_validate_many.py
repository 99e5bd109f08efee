"""Runs pyHanko's own command line, `pyhanko sign validate --pretty-print --trust ROOT --trust-replace
--no-revocation-check FILE`, on several PDFs in one Python process.

Usage: python pyhanko_validate_many.py ROOT.pem FILE.pdf [FILE.pdf ...]
Prints a JSON list, one entry per file in order: {"file", "exit_code", "output"} — the exit code and the text the
command prints for that file, exactly as a separate `pyhanko` run would. Starting Python and importing pyHanko
costs about a second; the validation of one more file a fraction of that, so the issuance tests
(crates/server/tests/issuance.rs) check every PDF a scenario issued with one run of this script.
"""

import json
import sys

from click.testing import CliRunner
from pyhanko.cli import cli_root

root, files = sys.argv[1], sys.argv[2:]
runner = CliRunner()
results = []
for path in files:
    args = ["sign", "validate", "--pretty-print", "--trust", root, "--trust-replace", "--no-revocation-check", path]
    r = runner.invoke(cli_root, args, prog_name="pyhanko", catch_exceptions=True)
    output = r.output
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        output += f"\n{type(r.exception).__name__}: {r.exception}"
    results.append({"file": path, "exit_code": r.exit_code, "output": output})
json.dump(results, sys.stdout, ensure_ascii=False)
