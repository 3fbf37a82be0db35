#!/usr/bin/env python3
"""Module dependency checker for a Rust crate: fails on an import cycle.

    scripts/module-deps.py [--verbose] [--files MOD,MOD..] CRATE_SRC_DIR

Builds the graph of module-to-module references of the crate in CRATE_SRC_DIR
(e.g. kernels/src) from the code's paths: `use crate::a::b`, `crate::a::b::f(..)`,
`super::x` (resolved against the file's own module) and paths through a child
module the file declares (`csv::load(..)` in data/mod.rs), with comments, doc
comments, string literals and `#[cfg(test)]` items left out. Each node is one
file: `kernel/net.rs` is `kernel::net`, `kernel/mod.rs` is `kernel`. A path is
attributed to the deepest module file it names (`crate::kernel::f32::BLOCK` is
`kernel::f32`; `crate::kernel::KernelChoice` is `kernel`).

Two graphs are checked:

* files: every file against every other (so `kernel/assign.rs` and
  `kernel/net.rs` may not import each other, nor `kernel/mod.rs` a child that
  imports it back); with `--files kernel,layout`, only the files of those
  top-level modules;
* top-level modules: the same edges with each file collapsed to its top-level
  module (`kernel`, `layout`, ...), so `layout` and `kernel` may not import each
  other through any of their files.

Not edges: the crate root (lib.rs, bin/), a parent's `mod child;` declarations,
and a parent's `pub use child::Item;` re-exports of its own descendants (the
module's public face, not something its code depends on).

Prints the edges with --verbose. Exits 1 naming a cycle if there is one, else 0.
"""

import os
import re
import sys


def strip_code(text):
    """The code of `text` with comments, strings and char literals blanked out."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or text.startswith("'\\u{", i):
            j = text.find("'", i + 2)
            i = j + 1
            out.append("' '")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_cfg_test(code):
    """`code` without the items that follow `#[cfg(test)]` (a block or a `;` item)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]", code)
        if not m:
            return code
        i = m.end()
        # The item runs to its matching closing brace, or to a `;` before any brace.
        brace = code.find("{", i)
        semi = code.find(";", i)
        if semi >= 0 and (brace < 0 or semi < brace):
            code = code[: m.start()] + code[semi + 1:]
            continue
        depth, j = 0, brace
        while j < len(code):
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        code = code[: m.start()] + code[j + 1:]


def module_of(rel):
    """`kernel/net.rs` -> ('kernel', 'net'); `kernel/mod.rs` -> ('kernel',)."""
    parts = rel[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def use_trees(code):
    """The paths of every `use` declaration (group braces expanded), with whether
    the declaration is a `pub use`."""
    for m in re.finditer(r"(\bpub(?:\([^)]*\))?\s+)?\buse\s+([^;]*);", code):
        for path in expand(re.sub(r"\s+", "", m.group(2))):
            yield path, bool(m.group(1))


def expand(tree):
    """`a::{b,c::{d,e}}` -> ['a::b', 'a::c::d', 'a::c::e']."""
    i = tree.find("{")
    if i < 0:
        return [tree]
    prefix = tree[:i]
    depth, items, cur = 0, [], ""
    for ch in tree[i + 1:]:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it:
            out.extend(expand(prefix + it))
    return out


def resolve(path, here, modules):
    """The module file a path names (the deepest existing prefix), or None for
    paths outside the crate."""
    segs = [s for s in re.split(r"::", path) if s]
    segs = [re.sub(r"\s+as\s+\w+$", "", s) for s in segs]
    if not segs:
        return None
    if here + (segs[0],) in modules:
        # A path through a child module the file declares (`csv::parse(..)`).
        base, rest = here, segs
    elif segs[0] == "crate":
        base, rest = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        rest = segs
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super":
                base = base[:-1]
            rest = rest[1:]
    else:
        return None
    best = base
    cur = base
    for s in rest:
        s = s.split(" as ")[0]
        cur = cur + (s,)
        if cur in modules:
            best = cur
        else:
            break
    return best


def main():
    argv = sys.argv[1:]
    only = None
    if "--files" in argv:
        i = argv.index("--files")
        only = set(argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2:]
    args = [a for a in argv if not a.startswith("-")]
    verbose = "--verbose" in argv or "-v" in argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    src = args[0]
    files = {}
    for root, dirs, names in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != "bin")
        for name in sorted(names):
            if name.endswith(".rs"):
                rel = os.path.relpath(os.path.join(root, name), src)
                if rel in ("lib.rs", "main.rs"):
                    continue
                files[module_of(rel)] = os.path.join(root, name)
    modules = set(files) | {()}
    edges = {}
    for mod, path in sorted(files.items()):
        code = drop_cfg_test(strip_code(open(path, encoding="utf-8").read()))
        targets = set()
        for p, is_pub in use_trees(code):
            t = resolve(p, mod, modules)
            # A parent's re-export of its own descendant is its public face.
            if t is None or (is_pub and t[: len(mod)] == mod and t != mod):
                continue
            targets.add(t)
        code_wo_use = re.sub(r"\buse\s+[^;]*;", "", code)
        children = "|".join(c[-1] for c in modules if c[:-1] == mod and c)
        heads = "crate|super|self" + ("|" + children if children else "")
        for m in re.finditer(r"(?<![\w:])(" + heads + r")((?:\s*::\s*\w+)+)", code_wo_use):
            t = resolve(m.group(1) + m.group(2).replace(" ", ""), mod, modules)
            if t is not None:
                targets.add(t)
        targets.discard(mod)
        targets.discard(())
        edges[mod] = sorted(targets)

    name = lambda m: "::".join(m) if m else "crate"
    if verbose:
        for mod in sorted(edges):
            for t in edges[mod]:
                print(f"{name(mod)} -> {name(t)}")

    def find_cycle(graph):
        color, stack = {}, []

        def visit(v):
            color[v] = 1
            stack.append(v)
            for w in graph.get(v, ()):
                if color.get(w) == 1:
                    return stack[stack.index(w):] + [w]
                if not color.get(w):
                    c = visit(w)
                    if c:
                        return c
            stack.pop()
            color[v] = 2
            return None

        for v in sorted(graph):
            if not color.get(v):
                c = visit(v)
                if c:
                    return c
        return None

    top = {}
    for mod, ts in edges.items():
        for t in ts:
            if t[0] != mod[0]:
                top.setdefault(mod[:1], set()).add(t[:1])
    top = {k: sorted(v) for k, v in top.items()}
    if verbose:
        print("top-level:")
        for mod in sorted(top):
            print(f"  {name(mod)} -> {', '.join(name(t) for t in top[mod])}")

    # File-level: every file, or (--files a,b) the files of those top-level modules.
    files_graph = {
        m: [t for t in ts if only is None or t[0] in only]
        for m, ts in edges.items()
        if only is None or m[0] in only
    }
    status = 0
    for what, graph in (("file", files_graph), ("top-level module", top)):
        c = find_cycle(graph)
        if c:
            print(f"{src}: {what} cycle: {' -> '.join(name(m) for m in c)}")
            status = 1
    if status == 0:
        n_edges = sum(len(v) for v in edges.values())
        print(f"{src}: no cycles ({len(files)} files, {n_edges} edges)")
    return status


if __name__ == "__main__":
    sys.exit(main())
