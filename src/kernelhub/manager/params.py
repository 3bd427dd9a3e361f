"""Launch parameters, checked against the JSON schema a kernel type publishes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kernelhub.errors import LaunchError, LaunchParamsError
from kernelhub.providers.base import KernelType

__all__ = ["validate_launch_params"]


def validate_launch_params(kernel_type: KernelType, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` against ``kernel_type.launch_schema``; return them as a dict.

    A kernel type without a schema takes no parameters. Raises
    :class:`~kernelhub.errors.LaunchParamsError` naming the offending field. ``jsonschema`` is
    imported only when a schema exists, so kernels without one never pay for it.
    """
    schema = kernel_type.launch_schema
    if schema is None:
        if params:
            names = ", ".join(sorted(params))
            raise LaunchParamsError(
                f"kernel type {kernel_type.id} takes no launch parameters (got {names})"
            )
        return {}
    try:
        import jsonschema
    except ImportError:
        raise LaunchError("checking launch parameters needs the 'jsonschema' package") from None
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(params)))
    if error is not None:
        path = [str(p) for p in error.absolute_path]
        if not path and error.validator == "required":
            path = [r for r in error.validator_value if r not in params][:1]
        field = ".".join(path) or "(all)"
        raise LaunchParamsError(
            f"launch parameter {field!r} of kernel type {kernel_type.id}: {error.message}"
        )
    return dict(params)
