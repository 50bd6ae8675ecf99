#!/usr/bin/env python3
"""Structure figures of the crates: layout, largest files and functions, module import cycles.

    python3 scripts/structure.py            # summary
    python3 scripts/structure.py --layout   # every source file with its line count
    python3 scripts/structure.py --edges    # the imports that close each cycle

Module graph: an edge A -> B when a file of module A names `crate::B` (use or path). Modules are
the top-level modules of each crate, and the sub-modules of `sim::model` and `sim::scenario`
(where the architecture says who may import whom). Cycles are the graph's strongly connected
components with more than one module.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CRATES = {"sim": "sim/src", "reports": "reports/src"}
SPLIT = {("sim", "model"), ("sim", "scenario")}


def files(crate):
    base = os.path.join(ROOT, CRATES[crate])
    for d, _, fs in os.walk(base):
        for f in fs:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                yield os.path.relpath(p, base), p


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    if parts in (["lib"], ["main"]):
        return "(root)"
    return parts


def node(crate, parts):
    if parts == "(root)":
        return f"{crate}::(root)"
    if (crate, parts[0]) in SPLIT and len(parts) > 1:
        return f"{crate}::{parts[0]}::{parts[1]}"
    return f"{crate}::{parts[0]}"


def functions(text):
    """(name, lines) of every fn body, by brace matching from its signature."""
    out = []
    for m in re.finditer(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)", text):
        i = text.find("{", m.end())
        semi = text.find(";", m.end())
        if i < 0 or (0 <= semi < i):
            continue
        depth, j = 0, i
        while j < len(text):
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        start = text.count("\n", 0, m.start())
        end = text.count("\n", 0, j)
        out.append((m.group(1), end - start + 1))
    return out


def sccs(graph):
    index, low, stack, on, res, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            res.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return res


def main():
    layout = "--layout" in sys.argv
    all_files, all_fns, graph = [], [], {}
    for crate in CRATES:
        for rel, path in sorted(files(crate)):
            text = open(path, encoding="utf-8").read()
            n = text.count("\n")
            all_files.append((n, f"{CRATES[crate]}/{rel}"))
            src = node(crate, module_of(rel))
            graph.setdefault(src, set())
            # Test modules may use anything; count the code above `#[cfg(test)]`.
            code = text.split("#[cfg(test)]")[0]
            code = re.sub(r"//[^\n]*", "", code)
            for fname, lines in functions(code):
                all_fns.append((lines, f"{CRATES[crate]}/{rel}::{fname}"))
            for m in re.finditer(r"crate::([a-z_][a-z0-9_]*)(?:::([a-z_][a-z0-9_]*))?", code):
                top, sub = m.group(1), m.group(2)
                parts = [top] + ([sub] if sub else [])
                dst = node(crate, parts)
                if (crate, top) in SPLIT and not sub:
                    dst = f"{crate}::{top}"
                if dst != src:
                    graph[src].add(dst)
            parts = module_of(rel)
            if isinstance(parts, list) and (crate, parts[0]) in SPLIT and len(parts) > 1:
                folder = os.path.join(ROOT, CRATES[crate], parts[0])
                siblings = {x[:-3] if x.endswith(".rs") else x for x in os.listdir(folder)}
                for m in re.finditer(r"super::([a-z_][a-z0-9_]*)", code):
                    name = m.group(1)
                    dst = node(crate, [parts[0], name]) if name in siblings else f"{crate}::{parts[0]}"
                    if dst != src:
                        graph[src].add(dst)
    all_files.sort(reverse=True)
    all_fns.sort(reverse=True)
    if layout:
        for n, f in sorted(all_files, key=lambda x: x[1]):
            print(f"{n:6} {f}")
        print()
    total = sum(n for n, _ in all_files)
    print(f"{len(all_files)} source files, {total} lines")
    print("largest files:", ", ".join(f"{f} ({n})" for n, f in all_files[:3]))
    print("largest functions:", ", ".join(f"{f} ({n})" for n, f in all_fns[:3]))
    cycles = [c for c in sccs(graph) if len(c) > 1]
    print(f"import cycles: {len(cycles)}")
    for c in cycles:
        print("  ", " <-> ".join(c))
        if "--edges" in sys.argv:
            for a in c:
                for b in sorted(graph[a]):
                    if b in c:
                        print(f"      {a} -> {b}")


if __name__ == "__main__":
    main()
