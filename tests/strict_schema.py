"""The report schemas, made strict for ikeprobe's own output.

The published schemas let readers meet keys they do not know (a newer
ikeprobe adds keys). ikeprobe's own output must have none that its schema
does not declare, so the tests validate it against a strict copy: every
object schema that declares its properties refuses undeclared ones.

Conditions (if / then / else / not) are left alone: they are partial
schemas that look at a few keys of an object that has more, and a strict
copy of them would never match, switching their rules off.
"""
import copy

CONDITIONS = ("if", "then", "else", "not")


def strict_schema(schema):
    """A strict copy of schema (a dict loaded from JSON)."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and "unevaluatedProperties" not in node \
                    and node.get("additionalProperties", True) is True:
                node.pop("additionalProperties", None)
                node["unevaluatedProperties"] = False
            for k, v in node.items():
                if k not in CONDITIONS:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    return schema
