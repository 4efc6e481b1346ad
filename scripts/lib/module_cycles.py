#!/usr/bin/env python3
"""Import circles between the modules of a Rust crate: fails when there is one.

    scripts/lib/module_cycles.py CRATE_SRC_DIR [...]   # e.g. server/src
    scripts/lib/module_cycles.py --self-test

The rule (what counts as "module A uses module B"):

* Nodes are modules: every file module (`lib.rs`/`main.rs` is the crate root,
  `a/mod.rs` and `a.rs` are `a`) and every inline `mod x { ... }` (so a
  `#[cfg(test)] mod tests` is its own module, a child of its file).
* A uses B when code in A (not in A's inline child modules) names B or an item
  of B: a `use` path (`crate::`, `super::`, `self::`, or a child module's
  name), or a qualified path in code (`crate::b::f()`, `super::X`, `b::f()`
  for a child or a name brought in by `use`). The edge goes to the deepest
  module the path names; a path to an item goes to the module defining it.
* Declaring a child (`mod b;`) is not a use of it, and neither is a
  re-export (`pub use b::X;`, also `pub(crate)`/`pub(super) use`, in a facade): a path through a re-export is
  followed to the module that defines the item, and that module is the one
  used. So `crate::routes::restart_frame` with `pub use queue::restart_frame`
  in `routes` is a use of `routes::queue`.
* A parent calling into its child (`queue::router()`) IS a use, so a child
  that reaches back into its parent (`super::rate_limit`) closes a circle.
  Shared helpers belong in a module of their own below both.
* Items of other crates, macros and `$crate` are ignored.

A circle is a strongly connected component of two or more modules; every one
is printed, with one concrete path around it, and the exit status is 1.
"""

import os
import re
import sys
import tempfile

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
KEYWORDS = {"crate", "super", "self", "Self"}


def strip(src):
    """Source with comments, string and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            i = j
            continue
        if src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * src.count("\n", i, j))
            i = j
            continue
        m = re.match(r'b?r(#*)"', src[i:i + 260])
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            end = '"' + m.group(1)
            j = src.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j
            continue
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append('""' + "\n" * src.count("\n", i, j))
            i = j + 1
            continue
        if c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", src[i:i + 16])
            if m:
                out.append("' '")
                i += m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def split_use_tree(tree):
    """`a::{b, c::{d as e, self}}` -> [(['a','b'], 'b'), (['a','c','d'], 'e'), ...]."""
    tree = re.sub(r"\s+", "", tree)
    results = []

    def walk(prefix, s):
        depth, start, parts = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:k])
                start = k + 1
        parts.append(s[start:])
        for part in filter(None, parts):
            brace = part.find("{")
            if brace >= 0 and part.endswith("}"):
                head = [p for p in part[:brace].split("::") if p]
                walk(prefix + head, part[brace + 1:-1])
                continue
            alias = None
            if "as" in part and re.search(r"[A-Za-z0-9_]as[A-Za-z_]", part):
                # whitespace was removed: "dasE" came from "d as E"; split on the last
                # "as" that follows a full path segment.
                m = re.match(r"^(.*?)(?<=[A-Za-z0-9_])as(" + IDENT + r")$", part)
                if m and not m.group(1).endswith("::"):
                    part, alias = m.group(1), m.group(2)
            segs = [p for p in part.split("::") if p]
            if segs and segs[-1] == "self":
                segs = segs[:-1]
                name = alias or (segs[-1] if segs else None)
            elif segs and segs[-1] == "*":
                name = "*"
            else:
                name = alias or (segs[-1] if segs else None)
            results.append((prefix + segs, name))

    walk([], tree)
    return results


class Module:
    def __init__(self, path, file, dir_for_children):
        self.path = path  # tuple of segments from the crate root
        self.file = file
        self.children_dir = dir_for_children
        self.children = {}  # name -> tuple path
        self.uses = []  # (segments, bound name, is_pub) from `use`
        self.code_paths = []  # (segments, line) from qualified paths in code
        self.lines = {}


def parse_crate(src_dir):
    modules = {}
    root_file = None
    for candidate in ("lib.rs", "main.rs"):
        if os.path.exists(os.path.join(src_dir, candidate)):
            root_file = os.path.join(src_dir, candidate)
            break
    if root_file is None:
        raise SystemExit(f"{src_dir}: no lib.rs or main.rs")
    roots = [root_file]
    # A crate with both lib.rs and main.rs: main.rs is another crate using the lib.
    pending = [((), root_file, src_dir)]
    while pending:
        path, file, child_dir = pending.pop()
        with open(file, encoding="utf-8") as f:
            text = strip(f.read())
        parse_file(modules, path, file, child_dir, text, pending)
    return modules, roots


MOD_RE = re.compile(r"\b(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*([;{])")
USE_RE = re.compile(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);")
PATH_RE = re.compile(r"(?<![A-Za-z0-9_:$])(" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)")


def parse_file(modules, path, file, child_dir, text, pending):
    """Splits `text` into the file module and its inline modules by brace depth."""
    stack = [(path, -1)]  # (module path, brace depth at which it closes)
    mod_here = Module(path, file, child_dir)
    modules[path] = mod_here
    depth = 0
    i, n = 0, len(text)
    line_starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(k + 1)

    def line_of(pos):
        lo, hi = 0, len(line_starts)
        while lo + 1 < hi:
            mid = (lo + hi) // 2
            if line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid
        return lo + 1

    # Collect events: mod declarations, braces, use statements, paths.
    events = []
    for m in MOD_RE.finditer(text):
        events.append((m.start(), "mod", m))
    for m in USE_RE.finditer(text):
        events.append((m.start(), "use", m))
    for m in PATH_RE.finditer(text):
        events.append((m.start(), "path", m))
    for k, ch in enumerate(text):
        if ch in "{}":
            events.append((k, ch, None))
    order = {"mod": 0, "use": 1, "path": 2, "{": 3, "}": 3}
    events.sort(key=lambda e: (e[0], order[e[1]]))
    skip_until = -1
    pending_inline = None
    for pos, kind, m in events:
        current = modules[stack[-1][0]]
        if kind == "{":
            depth += 1
            if pending_inline is not None and pos == pending_inline[1]:
                name = pending_inline[0]
                child = current.path + (name,)
                current.children[name] = child
                modules[child] = Module(child, file, os.path.join(child_dir, name))
                stack.append((child, depth - 1))
                pending_inline = None
            continue
        if kind == "}":
            depth -= 1
            if len(stack) > 1 and depth == stack[-1][1]:
                stack.pop()
            continue
        if pos < skip_until:
            continue
        if kind == "mod":
            name, end = m.group(1), m.group(2)
            if end == ";":
                child = current.path + (name,)
                current.children[name] = child
                base = current.children_dir
                flat = os.path.join(base, name + ".rs")
                nested = os.path.join(base, name, "mod.rs")
                child_file = flat if os.path.exists(flat) else nested
                if not os.path.exists(child_file):
                    raise SystemExit(f"{file}: mod {name}; but no {flat} or {nested}")
                pending.append((child, child_file, os.path.join(base, name)))
            else:
                pending_inline = (name, m.end() - 1)
            skip_until = m.end() - 1
        elif kind == "use":
            is_pub = bool(m.group(1))
            ln = line_of(pos)
            for segs, name in split_use_tree(m.group(2)):
                current.uses.append((segs, name, is_pub, ln))
            skip_until = m.end()
        elif kind == "path":
            segs = [m.group(1)] + [s.strip() for s in m.group(2).split("::") if s.strip()]
            current.code_paths.append((segs, line_of(pos)))
            skip_until = m.end()


class Graph:
    def __init__(self, modules):
        self.modules = modules
        self.bindings = {}  # module -> {name: absolute segments}
        self.reexports = {}  # module -> {name: absolute segments}
        for path, mod in modules.items():
            b, r = {}, {}
            for segs, name, is_pub, _ in mod.uses:
                absolute = self.absolute(path, segs, {})
                if absolute is None or name in (None, "*"):
                    continue
                b[name] = absolute
                if is_pub:
                    r[name] = absolute
            self.bindings[path] = b
            self.reexports[path] = r

    def absolute(self, here, segs, bindings):
        """Segments from the crate root, or None for another crate's path."""
        if not segs:
            return None
        first = segs[0]
        if first == "crate":
            return list(segs[1:])
        if first in ("self", "super"):
            base = list(here)
            rest = list(segs)
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    if not base:
                        return None
                    base.pop()
                rest.pop(0)
            return base + rest
        mod = self.modules.get(tuple(here))
        if mod and first in mod.children:
            return list(here) + list(segs)
        if first in bindings and len(segs) > 1:
            return list(bindings[first]) + list(segs[1:])
        return None

    def target(self, absolute, seen=None):
        """The module defining what `absolute` names (following re-exports)."""
        seen = seen or set()
        path = ()
        segs = list(absolute)
        while segs and path + (segs[0],) in self.modules:
            path = path + (segs.pop(0),)
        if segs:
            key = (path, segs[0])
            exported = self.reexports.get(path, {}).get(segs[0])
            if exported is not None and key not in seen:
                seen.add(key)
                return self.target(list(exported) + segs[1:], seen)
        return path

    def edges(self):
        out = {p: {} for p in self.modules}
        for path, mod in self.modules.items():
            bindings = self.bindings[path]
            for segs, name, is_pub, line in mod.uses:
                absolute = self.absolute(path, segs, {})
                if absolute is None:
                    continue
                if is_pub and name != "*":
                    continue  # a re-export is not a use; its users are followed through
                t = self.target(absolute)
                self.add(out, path, t, mod.file, line)
            for segs, line in mod.code_paths:
                if segs[0] not in KEYWORDS and segs[0] not in mod.children and segs[0] not in bindings:
                    continue
                absolute = self.absolute(path, segs, bindings)
                if absolute is None:
                    continue
                t = self.target(absolute)
                self.add(out, path, t, mod.file, line)
        return out

    @staticmethod
    def add(out, src, dst, file, line):
        if dst == src or dst is None:
            return
        # Naming an inline module of one's own (e.g. a test calling its own helper
        # module) or an ancestor via `super::` both count; only self-edges are dropped.
        out[src].setdefault(dst, (file, line))


def sccs(nodes, edges):
    index, low, on, stack, result = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def connect(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                connect(w)
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
            result.append(comp)

    for v in sorted(nodes):
        if v not in index:
            connect(v)
    return [c for c in result if len(c) > 1]


def cycle_in(comp, edges):
    """One concrete circle through the component, for the message."""
    members = set(comp)
    start = min(comp)
    # BFS from start back to start inside the component.
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w not in members:
                    continue
                if w == start:
                    walk = [v]
                    while prev[walk[-1]] is not None:
                        walk.append(prev[walk[-1]])
                    return list(reversed(walk)) + [start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start]


def name(path):
    return "crate" + "".join("::" + p for p in path)


def check(src_dir, out=sys.stdout):
    modules, _ = parse_crate(src_dir)
    graph = Graph(modules)
    edges = graph.edges()
    n_edges = sum(len(v) for v in edges.values())
    comps = sccs(list(modules), edges)
    if not comps:
        print(f"{src_dir}: {len(modules)} modules, {n_edges} uses, no import circles", file=out)
        return True
    for comp in comps:
        circle = cycle_in(comp, edges)
        print(f"{src_dir}: import circle among {len(comp)} modules: "
              + ", ".join(name(p) for p in sorted(comp)), file=out)
        for a, b in zip(circle, circle[1:]):
            file, line = edges[a][b]
            print(f"    {name(a)} uses {name(b)}  ({file}:{line})", file=out)
    return False


FIXTURES = {
    # A circle through a child reaching back into its parent and a sibling.
    "circle": {
        "lib.rs": "pub mod a;\npub mod b;\n",
        "a.rs": "use crate::b::helper;\npub fn f() { helper() }\n",
        "b.rs": "pub fn helper() {}\npub fn g() { crate::a::f() }\n",
    },
    # A circle hidden behind a re-export: queue_session uses routes::restart_frame,
    # which routes re-exports from routes::queue, which uses queue_session.
    "reexport": {
        "lib.rs": "pub mod routes;\npub mod queue_session;\n",
        "routes/mod.rs": "mod queue;\npub use queue::restart_frame;\n",
        "routes/queue.rs": "use crate::queue_session;\n"
                           "pub fn restart_frame() {}\nfn h() { queue_session::run() }\n",
        "queue_session.rs": "pub fn run() { let _ = crate::routes::restart_frame(); }\n",
    },
    # Parent uses child, child uses the parent's helper via super::.
    "parent": {
        "lib.rs": "mod routes;\n",
        "routes/mod.rs": "mod queue;\npub fn r() { queue::router() }\npub fn limit() {}\n",
        "routes/queue.rs": "pub fn router() { super::limit() }\n",
    },
    # No circle: a facade re-exporting children, children sharing a lower module,
    # test modules using their parent, comments and strings naming modules.
    "clean": {
        "lib.rs": "pub mod store;\npub mod ws;\npub mod routes;\n"
                  "// crate::routes::x in a comment\n",
        "store/mod.rs": "mod memory;\npub use memory::Memory;\npub trait Store {}\n"
                        "#[cfg(test)]\nmod tests { use super::*; use super::memory::Memory;"
                        " fn t() { let _ = Memory; } }\n",
        "store/memory.rs": "use super::Store;\npub struct Memory;\nimpl Store for Memory {}\n"
                           "const S: &str = \"crate::store::x\";\n",
        "ws.rs": "pub const BUF: usize = 1;\n",
        "routes/mod.rs": "mod a;\nmod b;\npub fn all() { a::r(); b::r(); }\n",
        "routes/a.rs": "use crate::ws::BUF;\npub fn r() { let _ = BUF; }\n",
        "routes/b.rs": "pub fn r() { let _ = crate::ws::BUF; let _ = crate::store::Memory; }\n",
    },
}


def self_test():
    import io
    ok = True
    for fixture, files in FIXTURES.items():
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in files.items():
                full = os.path.join(tmp, rel)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w", encoding="utf-8") as f:
                    f.write(text)
            buf = io.StringIO()
            clean = check(tmp, buf)
            expected = fixture == "clean"
            if clean != expected:
                ok = False
                print(f"self-test {fixture}: expected {'no circle' if expected else 'a circle'}, got:")
                print(buf.getvalue())
    print("module_cycles self-test: " + ("ok" if ok else "FAILED"))
    return ok


def main(argv):
    if argv[1:] == ["--self-test"]:
        return 0 if self_test() else 1
    if len(argv) < 2:
        print(__doc__)
        return 2
    results = [check(d) for d in argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
