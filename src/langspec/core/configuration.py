"""One-line descriptions of config validation errors."""

from __future__ import annotations

import jsonschema


def describe(error: jsonschema.ValidationError) -> str:
    """A single line naming the config key at fault and what is wrong with it."""
    error = jsonschema.exceptions.best_match([error]) or error
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        where = f" under '{path}'" if path else ""
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown config key{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}{where} (known: {allowed})"
    if error.validator == "enum":
        return f"config key '{path}' is {error.instance!r}; choose one of {', '.join(map(repr, error.validator_value))}"
    if error.validator == "required":
        return f"config key '{path or '<top>'}' is missing {error.message.split(' is ')[0]}"
    return f"config key '{path or '<top>'}': {error.message}"
