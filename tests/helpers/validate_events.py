#!/usr/bin/env python3
"""validate_events.py SCHEMA EVENTS — checks every line of EVENTS (cdhost's
--output json stderr) against SCHEMA (docs/events.schema.json).

Implements the JSON Schema keywords the schema uses (type, enum, const,
required, properties, items, allOf, oneOf, $ref to #/$defs/...), with the
standard's meaning; python3's standard library has no validator. Prints one
line per invalid event and exits 1 if any; also fails on a non-JSON line
or an empty file. Usage in tests: tests/e2e/kube/test_demo.sh."""
import json
import sys

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def errors(schema, value, root, path):
    out = []
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            return ["%s: unsupported $ref %s" % (path, ref)]
        out += errors(root["$defs"][ref[len("#/$defs/"):]], value, root, path)
    t = schema.get("type")
    if t and not TYPES[t](value):
        return out + ["%s: %r is not of type %s" % (path, value, t)]
    if "enum" in schema and value not in schema["enum"]:
        out.append("%s: %r is not one of %s" % (path, value, schema["enum"]))
    if "const" in schema and value != schema["const"]:
        out.append("%s: %r is not %r" % (path, value, schema["const"]))
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                out.append("%s: missing %s" % (path, key))
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                out += errors(sub, value[key], root, path + "." + key)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            out += errors(schema["items"], item, root, "%s[%d]" % (path, i))
    for sub in schema.get("allOf", []):
        out += errors(sub, value, root, path)
    if "oneOf" in schema:
        results = [errors(s, value, root, path) for s in schema["oneOf"]]
        ok = [r for r in results if not r]
        if len(ok) != 1:
            out.append("%s: matches %d of the oneOf branches, not 1" % (path, len(ok)))
            # say why the branch meant for this event (same "event") failed
            for s, r in zip(schema["oneOf"], results):
                want = s.get("properties", {}).get("event", {}).get("const")
                if r and isinstance(value, dict) and want == value.get("event"):
                    out += r
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: validate_events.py SCHEMA EVENTS")
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    bad = n = 0
    with open(sys.argv[2]) as f:
        for lineno, line in enumerate(f, 1):
            n += 1
            try:
                ev = json.loads(line)
            except ValueError as e:
                print("line %d: not JSON (%s): %s" % (lineno, e, line[:200].rstrip()))
                bad += 1
                continue
            for e in errors(schema, ev, schema, "line %d" % lineno):
                print(e)
                bad += 1
    if n == 0:
        sys.exit("validate_events: no events in %s" % sys.argv[2])
    print("validate_events: %d event(s), %d problem(s)" % (n, bad))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
