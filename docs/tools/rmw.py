#!/usr/bin/env python3
"""Atomic read-modify-writes executed by a program, counted from a callgrind run.

callgrind counts instructions but does not weigh them, and a compare-and-swap costs
tens of times an add; this sums the execution counts of the lock-prefixed
instructions (and of xchg with a memory operand, locked implicitly) of every object
the program ran, per function, by matching callgrind's per-instruction counts with
objdump's disassembly. It needs valgrind, objdump and nm (binutils).

    valgrind --tool=callgrind --dump-instr=yes --compress-pos=no \
        --compress-strings=no --callgrind-out-file=cg.ask \
        target/release/examples/ask_count ask 20000
    python3 docs/tools/rmw.py cg.ask 25

Divide by the round trips (after subtracting a start-up-only run, `ask_count none`)
for read-modify-writes per round trip (BENCHMARKS.md, "Session 8").
usage: rmw.py callgrind.out [top]"""
import re, subprocess, sys, collections
out = sys.argv[1]; top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
counts = collections.defaultdict(int)   # (ob, addr) -> Ir
fnof = {}
firstaddr = {}  # (ob, fn) -> first addr seen
ob = fn = None; skip = False
for line in open(out):
    if line.startswith('ob='): ob = line[3:].strip(); continue
    if line.startswith('fn='): fn = line[3:].strip(); continue
    if line.startswith('calls='): skip = True; continue
    if line.startswith('0x'):
        if skip: skip = False; continue
        p = line.split()
        a = int(p[0], 16); counts[(ob, a)] += int(p[2]); fnof[(ob, a)] = fn
        firstaddr.setdefault((ob, fn), a)
    else:
        if not line.startswith(('cob=','cfi=','cfn=','cfl=')): skip = False
obs = {o for (o, _) in counts if o.startswith('/')}
total = 0; per = collections.Counter()
for o in obs:
    try:
        dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', o], capture_output=True, text=True).stdout
    except Exception: continue
    locks = set()
    for l in dis.splitlines():
        m = re.match(r'\s*([0-9a-f]+):\s+(.*)', l)
        if not m: continue
        ins = m.group(2)
        if ins.startswith('lock ') or (ins.startswith('xchg') and '(' in ins):
            locks.add(int(m.group(1), 16))
    # base: callgrind addresses of this object minus file addresses; try 0 first, else
    # match by symbol
    syms = {}
    for l in subprocess.run(['nm', '-D', '--defined-only', o], capture_output=True, text=True).stdout.splitlines() + \
             subprocess.run(['nm', '--defined-only', o], capture_output=True, text=True).stdout.splitlines():
        p = l.split()
        if len(p) == 3: syms[p[2].split('@')[0]] = int(p[0], 16)
    base = None
    for (oo, f), a in firstaddr.items():
        if oo == o and f in syms:
            base = a - syms[f]; break
    if base is None: base = 0
    for (oo, a), c in counts.items():
        if oo == o and (a - base) in locks:
            total += c; per[(o.split('/')[-1], fnof[(oo, a)])] += c
print('total', total)
for (o, f), c in per.most_common(top):
    print(f'{c:10d}  {o}  {f[:150]}')
