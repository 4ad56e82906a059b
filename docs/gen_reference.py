#!/usr/bin/env python3
"""docs/gen_reference.py — docs/reference.md from the LuaLS stubs.

    python3 docs/gen_reference.py            write docs/reference.md
    python3 docs/gen_reference.py --check    exit 1 (with a diff) if it differs
    python3 docs/gen_reference.py --stdout   print it
    ... [--stubs FILE] [--out FILE]          other files (the tests use them)

The stubs (stdlib/meta/cdhost.lua) are the single source: editors complete
recipes from them and this page is made from them, so the two never drift
(tests/cli/test_reference.sh checks it). Python's standard library only.

Why not a recipe run by cdhost: the sandbox can read the stub file, but a
recipe's only stdout is the manifests of render mode, so the page would have
to be scraped out of the log stream.

What is read: `---@class NAME[: PARENT] [description]` and its `---@field`
lines, `---@operator`, `--- text` descriptions, `---@param`, `---@return`,
`cdhost.x = {}` (a module, in file order), `function cdhost.x.y(...) end`,
and `local t = {}` right after a class with `function t:m(...) end` (a
method of that class). Everything else is ignored.
"""
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUBS = ROOT / "stdlib" / "meta" / "cdhost.lua"
OUT = ROOT / "docs" / "reference.md"
OPENERS, CLOSERS = "{(<[", "})>]"


def split_type(text):
    """Splits 'TYPE rest' where TYPE may hold spaces inside brackets/quotes."""
    depth, quote, i = 0, None, 0
    while i < len(text):
        c = text[i]
        if quote:
            quote = None if c == quote else quote
        elif c in "\"'":
            quote = c
        elif c in OPENERS:
            depth += 1
        elif c in CLOSERS:
            depth -= 1
        elif c.isspace() and depth == 0:
            # "fun(): T": the return type follows ": "
            if text[i - 1] == ":" or text[i + 1:i + 2] in ("|",) or text[i - 1] == "|":
                i += 1
                continue
            break
        i += 1
    return text[:i], text[i:].strip()


class Cls:
    def __init__(self, name, parent, desc):
        self.name, self.parent, self.desc = name, parent, desc
        self.fields, self.operators, self.methods = [], [], []


class Fn:
    def __init__(self, name, args, desc, params, returns):
        self.name, self.args, self.desc = name, args, desc
        self.params, self.returns = params, returns


def parse(text):
    modules, classes, fns = ["cdhost"], {}, []
    desc, params, returns = [], [], []
    cls, local_alias, aliases = None, None, {}

    def reset():
        nonlocal desc, params, returns
        desc, params, returns = [], [], []

    for line in text.splitlines():
        s = line.strip()
        m = re.match(r"---@class\s+([\w.]+)(?:\s*:\s*([\w.\[\]]+))?\s*(.*)$", s)
        if m:
            cls = Cls(m.group(1), m.group(2), " ".join(desc + [m.group(3)]).strip())
            classes[cls.name] = cls
            local_alias = cls.name
            reset()
            continue
        m = re.match(r"---@field\s+([\w]+\??)\s+(.*)$", s)
        if m and cls:
            ty, rest = split_type(m.group(2))
            cls.fields.append((m.group(1), ty, rest))
            continue
        m = re.match(r"---@operator\s+(.*)$", s)
        if m and cls:
            cls.operators.append(m.group(1))
            continue
        m = re.match(r"---@param\s+(\S+)\s+(.*)$", s)
        if m:
            ty, rest = split_type(m.group(2))
            params.append((m.group(1), ty, rest))
            continue
        m = re.match(r"---@return\s+(.*)$", s)
        if m:
            ty, rest = split_type(m.group(1))
            name, _, rdesc = rest.partition(" ")
            if name and not re.match(r"^\w+$", name):
                name, rdesc = "", rest
            returns.append((ty, name, rdesc.strip()))
            continue
        if s.startswith("---@"):  # @meta, @generic: nothing to show
            continue
        if s.startswith("--- ") or s == "---":
            desc.append(s[4:])
            continue
        m = re.match(r"local\s+(\w+)\s*=\s*\{\}", s)
        if m and local_alias:
            aliases[m.group(1)] = local_alias
            continue
        m = re.match(r"(cdhost\.\w+)\s*=\s*\{\}", s)
        if m:
            if m.group(1) not in modules:
                modules.append(m.group(1))
            cls = local_alias = None
            reset()
            continue
        m = re.match(r"function\s+([\w.]+)([.:])(\w+)\((.*?)\)\s*end", s)
        if m:
            owner, sep, fname, args = m.groups()
            if sep == ":":
                fn = Fn(f"{owner}:{fname}", args, " ".join(desc), params, returns)
                classes[aliases[owner]].methods.append(fn)
            else:
                fns.append(Fn(f"{owner}.{fname}", args, " ".join(desc), params, returns))
            cls = local_alias = None
            reset()
            continue
        if s == "" or s.startswith("--"):
            if s == "":
                cls = None
            continue
        reset()
    return modules, classes, fns


def code(s):
    s = s.replace("|", "\\|")
    return f"`{s}`" if "`" not in s else f"``{s}``"


def cell(s):
    return s.replace("|", "\\|")


def anchor(name):
    return re.sub(r"[^a-z0-9 _-]", "", name.lower()).replace(" ", "-")


class Writer:
    def __init__(self, modules, classes, fns):
        self.modules, self.classes, self.fns = modules, classes, fns
        self.lines = []
        self.inline = set()  # classes shown in full under a function

    def out(self, *lines):
        self.lines.extend(lines)

    def module_of_class(self, name):
        best = None
        for mod in self.modules[1:]:
            if name.startswith(mod + "."):
                best = mod
        return best

    def all_fields(self, c):
        fields, seen = [], set()
        while c:
            for f in c.fields:
                if f[0].rstrip("?") not in seen:
                    seen.add(f[0].rstrip("?"))
                    fields.append(f)
            c = self.classes.get(c.parent) if c.parent else None
        return fields

    def class_refs(self, ty):
        return [n for n in re.findall(r"cdhost(?:\.\w+)+", ty) if n in self.classes]

    def field_table(self, fields, head="field"):
        self.out(f"| {head} | type | description |", "|---|---|---|")
        for name, ty, d in fields:
            self.out(f"| `{name}` | {code(ty)} | {cell(d)} |")
        self.out("")

    def signature(self, fn):
        names = [p[0] for p in fn.params]
        args = [a.strip() for a in fn.args.split(",") if a.strip()]
        return ", ".join(n if n.rstrip("?") == a else a
                         for a, n in zip(args, names + args[len(names):]))

    def function(self, fn):
        self.out(f"### `{fn.name}({self.signature(fn)})`", "")
        if fn.desc:
            self.out(fn.desc, "")
        if fn.params:
            self.field_table(fn.params, "parameter")
        expanded = []
        for _, ty, _ in fn.params:
            for ref in self.class_refs(ty):
                c = self.classes[ref]
                if ref not in expanded and self.all_fields(c):
                    expanded.append(ref)
                    kind = "Options" if re.search(r"opts|spec|query", ref) else "Fields of"
                    if kind == "Options":
                        self.inline.add(ref)
                    self.out(f"{kind} `{ref}`" + (f" ({c.desc})" if c.desc else "") + ":", "")
                    self.field_table(self.all_fields(c))
        for ty, name, d in fn.returns:
            refs = [f"[{r}](#{anchor(r)})" for r in self.class_refs(ty) if r not in self.inline]
            extra = f" (see {', '.join(refs)})" if refs else ""
            label = f" `{name}`" if name else ""
            self.out(f"Returns{label}: {code(ty)}{extra}" + (f" — {d}" if d else ""), "")

    def cls(self, c):
        self.out(f"### {c.name}", "")
        if c.desc:
            self.out(c.desc, "")
        if c.parent:
            self.out(f"Extends {code(c.parent)}.", "")
        for op in c.operators:
            self.out(f"Operator: {code(op)}", "")
        if c.fields:
            self.field_table(c.fields)
        for m in c.methods:
            self.out(f"Method `{m.name.split(':')[0]}:{m.name.split(':')[1]}({m.args})`"
                     + (f": {m.desc}" if m.desc else ""), "")
            if m.params:
                self.field_table(m.params, "parameter")
            for ty, name, d in m.returns:
                self.out(f"Returns: {code(ty)}", "")

    def write(self):
        self.out("# API reference",
                 "",
                 "<!-- generated by docs/gen_reference.py from stdlib/meta/cdhost.lua: "
                 "do not edit; edit the stubs and run `python3 docs/gen_reference.py` -->",
                 "",
                 "Every `cdhost.*` function a recipe can call, made from the LuaLS stubs "
                 "in `stdlib/meta/cdhost.lua` (add `stdlib/meta` to `workspace.library` in "
                 "`.luarc.json` for completion in editors). Guides: docs/recipes.md, "
                 "docs/pipeline.md. `name?` marks an optional parameter or field.",
                 "")
        toc = [f"[{m}](#{anchor(m)})" for m in self.modules] + ["[common types](#common-types)"]
        self.out("Modules: " + " · ".join(toc), "")
        root = self.classes.get("cdhost")
        for mod in self.modules:
            self.out(f"## {mod}", "")
            if mod == "cdhost" and root:
                self.field_table(root.fields)
            for fn in self.fns:
                if fn.name.rsplit(".", 1)[0] == mod:
                    self.function(fn)
            own = [c for c in self.classes.values() if self.module_of_class(c.name) == mod
                   and (c.name not in self.inline or c.methods)]
            if own:
                self.out(f"Types of {mod}:", "")
                for c in own:
                    self.cls(c)
        self.out("## Common types", "")
        for c in self.classes.values():
            if c.name != "cdhost" and not self.module_of_class(c.name) \
                    and (c.name not in self.inline or c.methods):
                self.cls(c)
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def option(argv, name, default):
    return Path(argv[argv.index(name) + 1]) if name in argv else default


def main(argv):
    stubs, out = option(argv, "--stubs", STUBS), option(argv, "--out", OUT)
    modules, classes, fns = parse(stubs.read_text())
    text = Writer(modules, classes, fns).write()
    if "--stdout" in argv:
        sys.stdout.write(text)
    elif "--check" in argv:
        old = out.read_text() if out.exists() else ""
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True),
                "docs/reference.md (committed)", "docs/reference.md (from the stubs)"))
            print("docs/reference.md differs from the stubs: run "
                  "python3 docs/gen_reference.py and commit it", file=sys.stderr)
            return 1
    else:
        out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
