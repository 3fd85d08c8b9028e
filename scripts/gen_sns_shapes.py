#!/usr/bin/env python3
"""Generates src/services/sns/model/sns_shapes.cpp: the awsQuery shapes (protocol::Shape) of every SNS
operation, from botocore's SNS service model, the way AWS's SDKs generate their serializers.

Why generated: member names, location names, list element names and map key/value names are AWS's;
copying 42 operations by hand would drift. The output is committed source (reviewed like any other);
the build does not run this script. Re-run after a botocore update and review the diff:

    /usr/bin/python3 scripts/gen_sns_shapes.py [--model PATH] [--output PATH] [--check]

--model (service-2.json, or the .json.gz newer botocore releases ship) defaults to Debian's botocore copy; --output to the committed file; --check writes nothing
and exits 1 when the committed file differs from what the model gives.

What the codec (src/protocol/aws_query.cpp) can express, this script checks and refuses the rest
loudly: recursive shapes, result wrappers other than "<Operation>Result" (RenderQueryResult writes
that name), flattened lists whose element has no location name, and scalar types without a ShapeKind.
Only shapes reachable from an operation's input or output are emitted (errors are not bodies here).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import sys

DEFAULT_MODEL = "/usr/lib/python3/dist-packages/botocore/data/sns/2010-03-31/service-2.json"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "src", "services", "sns", "model", "sns_shapes.cpp")

SCALAR_KINDS = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "boolean": "Boolean",
    "double": "Double",
    "float": "Double",
    "blob": "Blob",
    "timestamp": "Timestamp",
}

CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
    "constexpr", "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern",
    "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
    "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public", "register", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "template", "this", "throw", "true", "try",
    "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "while",
    # names the generated code itself uses
    "arena", "operations", "names", "model", "shape", "name", "input", "output",
}


class ModelError(Exception):
    pass


def snake_case(name: str) -> str:
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words)
    return re.sub(r"[^A-Za-z0-9_]", "_", words).lower()


def cpp_string(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:/-]*", text):
        raise ModelError(f"unexpected characters in a wire name: {text!r}")
    return '"' + text + '"'


class Generator:
    def __init__(self, model: dict):
        self.model = model
        self.shapes = model["shapes"]
        self.variables: dict[str, str] = {}  # model shape name -> C++ variable (composites only)
        self.scalar_variables: dict[str, str] = {}  # ShapeKind -> C++ variable
        self.statements: list[str] = []
        self.visiting: list[str] = []

    def shape(self, name: str) -> dict:
        if name not in self.shapes:
            raise ModelError(f"shape {name} is referenced but not defined")
        return self.shapes[name]

    def scalar(self, kind: str) -> str:
        if kind not in self.scalar_variables:
            self.scalar_variables[kind] = snake_case(kind) + "_scalar"
        return self.scalar_variables[kind]

    def variable_for(self, name: str) -> str:
        """Emits the shape (after everything it refers to) once; returns the C++ expression naming it."""
        definition = self.shape(name)
        kind = definition["type"]
        if kind in SCALAR_KINDS:
            return self.scalar(SCALAR_KINDS[kind])
        if kind not in ("structure", "list", "map"):
            raise ModelError(f"shape {name} has type {kind}, which protocol::ShapeKind cannot express")
        if name in self.variables:
            return self.variables[name]
        if name in self.visiting:
            cycle = " -> ".join(self.visiting[self.visiting.index(name):] + [name])
            raise ModelError(f"recursive shape {cycle}: the arena declares shapes before their users, "
                             "so a cycle needs a forward-declared Shape the generator does not write")
        self.visiting.append(name)
        if kind == "structure":
            statement = self.structure(name, definition)
        elif kind == "list":
            statement = self.list(name, definition)
        else:
            statement = self.map(name, definition)
        self.visiting.pop()
        variable = snake_case(name)
        if variable in CPP_KEYWORDS or variable in self.variables.values() or variable.endswith("_scalar"):
            raise ModelError(f"shape {name}: C++ name {variable} collides; extend the naming rule")
        self.variables[name] = variable
        self.statements.append(f"    // {name}\n    const Shape* {variable} = {statement};")
        return variable

    def structure(self, name: str, definition: dict) -> str:
        members = []
        for member_name, member in definition.get("members", {}).items():
            target = self.variable_for(member["shape"])
            location = member.get("locationName", "")
            if member.get("flattened") or member.get("xmlAttribute") or member.get("xmlNamespace"):
                raise ModelError(f"{name}.{member_name}: member-level flattened/xmlAttribute is not expressible")
            if member.get("location") not in (None, ""):
                raise ModelError(f"{name}.{member_name}: location {member['location']} is not awsQuery's")
            members.append(f"{{{cpp_string(member_name)}, {cpp_string(location)}, {target}}}")
        if not members:
            return "arena.Structure({})"
        return "arena.Structure({\n        " + ",\n        ".join(members) + ",\n    })"

    def list(self, name: str, definition: dict) -> str:
        element = definition["member"]
        target = self.variable_for(element["shape"])
        flattened = bool(definition.get("flattened", False))
        element_name = element.get("locationName", "")
        if flattened and not element_name:
            # botocore then keeps the member's own name per use; Shape holds one name per list.
            raise ModelError(f"flattened list {name} has no element locationName")
        element_name = element_name or "member"
        return f"arena.List({target}, {cpp_string(element_name)}, {'true' if flattened else 'false'})"

    def map(self, name: str, definition: dict) -> str:
        key, value = definition["key"], definition["value"]
        if self.shape(key["shape"])["type"] != "string":
            raise ModelError(f"map {name} has a non-string key; JSON objects need string keys")
        key_target = self.variable_for(key["shape"])
        value_target = self.variable_for(value["shape"])
        flattened = bool(definition.get("flattened", False))
        return (f"arena.Map({key_target}, {value_target}, {cpp_string(key.get('locationName', 'key'))}, "
                f"{cpp_string(value.get('locationName', 'value'))}, {'true' if flattened else 'false'})")

    def generate(self) -> tuple[list[str], list[tuple[str, str, str]]]:
        operations = []
        for name in sorted(self.model["operations"]):
            operation = self.model["operations"][name]
            if operation.get("http", {}).get("method", "POST") != "POST" or \
                    operation.get("http", {}).get("requestUri", "/") != "/":
                raise ModelError(f"{name}: not a plain awsQuery POST /")
            input_variable = "nullptr"
            if "input" in operation:
                input_variable = self.variable_for(operation["input"]["shape"])
            output_variable = "nullptr"
            if "output" in operation:
                wrapper = operation["output"].get("resultWrapper")
                if wrapper != name + "Result":
                    raise ModelError(f"{name}: resultWrapper {wrapper!r} is not {name}Result, which "
                                     "RenderQueryResult writes; the codec needs the wrapper passed in")
                output_variable = self.variable_for(operation["output"]["shape"])
            operations.append((name, input_variable, output_variable))
        scalars = [f"    const Shape* {variable} = arena.Scalar(ShapeKind::{kind});"
                   for kind, variable in sorted(self.scalar_variables.items())]
        return scalars + self.statements, operations


def botocore_version(model_path: str) -> str:
    """The botocore release the model came with, when the model sits in a botocore installation."""
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(model_path)))))
    try:
        with open(os.path.join(package, "__init__.py"), encoding="utf-8") as init:
            found = re.search(r"^__version__ = ['\"]([^'\"]+)['\"]", init.read(), re.MULTILINE)
            return found.group(1) if found else "unknown"
    except OSError:
        return "unknown"


def render(model_path: str) -> str:
    with open(model_path, "rb") as source:
        raw = source.read()
    if model_path.endswith(".gz"):  # newer botocore releases ship their models compressed
        raw = gzip.decompress(raw)
    model = json.loads(raw)
    metadata = model["metadata"]
    if metadata.get("protocol") != "query" and "query" not in metadata.get("protocols", []):
        raise ModelError(f"the model's protocol is {metadata.get('protocol')}, not query")
    statements, operations = Generator(model).generate()
    digest = hashlib.sha256(raw).hexdigest()
    lines = [
        "// GENERATED by scripts/gen_sns_shapes.py: do not edit by hand.",
        f"// From botocore {botocore_version(model_path)}'s SNS model: uid {metadata['uid']}, "
        f"apiVersion {metadata['apiVersion']},",
        f"// service-2.json sha256 {digest}.",
        f"// {len(operations)} operations; only shapes an input or an output reaches are declared.",
        "// Regenerate: /usr/bin/python3 scripts/gen_sns_shapes.py [--model PATH/service-2.json]",
        "",
        '#include "services/sns/model/sns_shapes.hpp"',
        "",
        "#include <map>",
        "#include <string>",
        "#include <vector>",
        "",
        "namespace mallard::sns {",
        "namespace {",
        "",
        "using protocol::OperationShapes;",
        "using protocol::Shape;",
        "using protocol::ShapeArena;",
        "using protocol::ShapeKind;",
        "",
        "struct SnsModel {",
        "  ShapeArena arena;",
        "  std::map<std::string, OperationShapes, std::less<>> operations;",
        "  std::vector<std::string> names;  // sorted",
        "",
        "  SnsModel() {",
    ]
    lines += statements
    lines.append("")
    for name, input_variable, output_variable in operations:
        call = f'    Add("{name}", {input_variable}, {output_variable});'
        if len(call) > 120:
            call = f'    Add("{name}", {input_variable},\n        {output_variable});'
        lines.append(call)
    lines += [
        "  }",
        "",
        "  void Add(const char* name, const Shape* input, const Shape* output) {",
        "    operations[name] = {input, output};",
        "    names.emplace_back(name);",
        "  }",
        "};",
        "",
        "const SnsModel& Model() {",
        "  static const SnsModel model;",
        "  return model;",
        "}",
        "",
        "}  // namespace",
        "",
        "const protocol::OperationShapes* SnsShapes(std::string_view operation) {",
        "  const SnsModel& model = Model();",
        "  auto found = model.operations.find(operation);",
        "  return found == model.operations.end() ? nullptr : &found->second;",
        "}",
        "",
        "const std::vector<std::string>& SnsOperationNames() { return Model().names; }",
        "",
        "}  // namespace mallard::sns",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="botocore's sns/2010-03-31/service-2.json")
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if --output differs; write nothing")
    arguments = parser.parse_args()
    try:
        text = render(arguments.model)
    except (ModelError, KeyError, OSError, json.JSONDecodeError) as error:
        print(f"gen_sns_shapes: {arguments.model}: {error}", file=sys.stderr)
        return 2
    if arguments.check:
        try:
            with open(arguments.output, encoding="utf-8") as existing:
                same = existing.read() == text
        except OSError:
            same = False
        if not same:
            print(f"gen_sns_shapes: {arguments.output} is not what the model gives; re-run the generator",
                  file=sys.stderr)
        return 0 if same else 1
    with open(arguments.output, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
