# SPDX-License-Identifier: Apache-2.0
"""blockyaml.py: reads the block-style YAML subset our compose files use.

The tests use the standard library only, which has no YAML reader. This
one covers what compose/*.yml contains and nothing more: block mappings
and sequences, "- key: value" items, flow sequences of scalars, quoted and
plain scalars (all kept as strings), comments, and anchors (&name) with
aliases (*name) on block values. Anything else raises BlockYamlError, so a
test never silently reads a file wrongly.
"""

import re


class BlockYamlError(Exception):
    pass


def _strip_comment(s):
    """s without a trailing comment (a # outside quotes, after a space)."""
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] == " "):
            return s[:i].rstrip()
    return s.rstrip()


def _scalar(s, anchors):
    s = s.strip()
    if s.startswith("*"):
        name = s[1:]
        if name not in anchors:
            raise BlockYamlError(f"unknown alias *{name}")
        return anchors[name]
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        return s[1:-1]
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        if not inner:
            return []
        return [_scalar(x, anchors) for x in inner.split(",")]
    if s.startswith(("{", "&", "!", "|", ">")):
        raise BlockYamlError(f"unsupported YAML: {s}")
    return s


def loads(text):
    """Parses text; returns nested dicts, lists and strings (None for an
    empty value)."""
    lines = []
    for n, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw:
            raise BlockYamlError(f"line {n}: tab")
        s = _strip_comment(raw)
        if s.strip():
            lines.append((n, len(s) - len(s.lstrip(" ")), s.strip()))
    anchors = {}
    pos = [0]

    def block(indent):
        n, ind, s = lines[pos[0]]
        if ind != indent:
            raise BlockYamlError(f"line {n}: unexpected indentation")
        if s.startswith("- ") or s == "-":
            return seq(indent)
        return mapping(indent)

    def value_after(rest, indent, n):
        """The value of a key whose text after the colon is `rest`."""
        anchor = None
        m = re.match(r"^&([A-Za-z0-9_-]+)\s*(.*)$", rest)
        if m:
            anchor, rest = m.group(1), m.group(2)
        if rest:
            v = _scalar(rest, anchors)
        elif pos[0] < len(lines) and lines[pos[0]][1] > indent:
            v = block(lines[pos[0]][1])
        elif (pos[0] < len(lines) and lines[pos[0]][1] == indent
              and lines[pos[0]][2].startswith("- ")):
            v = seq(indent)  # a sequence may sit at its key's indent
        else:
            v = None
        if anchor:
            anchors[anchor] = v
        return v

    def mapping(indent):
        out = {}
        while pos[0] < len(lines):
            n, ind, s = lines[pos[0]]
            if ind < indent:
                break
            if ind > indent:
                raise BlockYamlError(f"line {n}: unexpected indentation")
            if s.startswith("- "):
                break
            m = re.match(r'^("[^"]*"|[^:\s][^:]*?):(?:\s+(.*))?$', s)
            if not m:
                raise BlockYamlError(f"line {n}: expected key: value: {s}")
            key = m.group(1).strip('"')
            if key in out:
                raise BlockYamlError(f"line {n}: duplicate key {key}")
            pos[0] += 1
            out[key] = value_after((m.group(2) or "").strip(), indent, n)
        return out

    def seq(indent):
        out = []
        while pos[0] < len(lines):
            n, ind, s = lines[pos[0]]
            if ind != indent or not (s.startswith("- ") or s == "-"):
                break
            item = s[1:].strip()
            m = re.match(r'^([^:\s"\'][^:]*?):(?:\s+(.*))?$', item)
            if m and not item.startswith(("[", '"', "'")):
                # "- key: value" opens a mapping whose other keys sit at
                # the indentation of "key".
                sub = indent + 2
                lines[pos[0]] = (n, sub, item)
                out.append(mapping(sub))
            else:
                pos[0] += 1
                out.append(_scalar(item, anchors))
        return out

    if not lines:
        return None
    result = block(lines[0][1])
    if pos[0] != len(lines):
        n = lines[pos[0]][0]
        raise BlockYamlError(f"line {n}: unexpected content")
    return result


def load(path):
    with open(path, encoding="utf-8") as f:
        return loads(f.read())
