#!/usr/bin/env python3
"""Turns the ptxas -v report in kernels-cuda/target/cuda-build.log into a Markdown table:
registers / spill stores+loads / static shared memory per kernel and architecture."""
import re
import sys
from collections import OrderedDict

log = sys.argv[1] if len(sys.argv) > 1 else "kernels-cuda/target/cuda-build.log"
table = OrderedDict()
archs = []
arch = None
kernel = None
for line in open(log):
    m = re.match(r"=== (sm_\w+)", line)
    if m:
        arch = m.group(1)
        archs.append(arch)
        continue
    if line.startswith("=== "):
        arch = None
        continue
    if arch is None:
        continue
    m = re.search(r"Compiling entry function '(\w+)' for", line)
    if m:
        kernel = m.group(1)
        table.setdefault(kernel, {})[arch] = {"spill": "?", "regs": "?", "smem": 0}
        continue
    m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
    if m and kernel:
        table[kernel][arch]["spill"] = f"{m.group(1)}+{m.group(2)}"
        continue
    m = re.search(r"Used (\d+) registers(?:.*?(\d+) bytes smem)?", line)
    if m and kernel:
        table[kernel][arch]["regs"] = m.group(1)
        table[kernel][arch]["smem"] = int(m.group(2) or 0)
print("| kernel | " + " | ".join(archs) + " |")
print("|---|" + "---|" * len(archs))
for kernel in sorted(table):
    cells = []
    for a in archs:
        c = table[kernel].get(a)
        cells.append("-" if c is None else f"{c['regs']} / {c['spill']} / {c['smem']}")
    print(f"| `{kernel}` | " + " | ".join(cells) + " |")
