"""The registry of criterion types.

Each app that owns evidence registers the criterion types that read it (in its AppConfig.ready).
The gates app evaluates criteria through this registry and knows no type by name.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError


class NoParams(BaseModel):
    """A criterion type without parameters."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Evidence:
    """A link to the evidence a criterion looked at."""

    label: str
    url: str


@dataclass(frozen=True)
class Outcome:
    """What a criterion type says about one project: passed or not, why, and on what evidence."""

    passed: bool
    detail: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CriterionType:
    """A kind of criterion: its key, label, parameter model and evaluation function."""

    key: str
    label: str
    description: str
    params_model: type[BaseModel]
    evaluate: Callable[[Any, Any], Outcome]

    def params_schema(self) -> dict[str, Any]:
        return self.params_model.model_json_schema()


_TYPES: dict[str, CriterionType] = {}


def register(
    key: str, *, label: str, description: str, params: type[BaseModel] = NoParams
) -> Callable[[Callable[[Any, Any], Outcome]], Callable[[Any, Any], Outcome]]:
    """Register `evaluate(project, params) -> Outcome` as criterion type `key`."""

    def decorator(evaluate: Callable[[Any, Any], Outcome]) -> Callable[[Any, Any], Outcome]:
        existing = _TYPES.get(key)
        if existing is not None and existing.evaluate is not evaluate:
            raise RuntimeError(f"criterion type {key!r} is registered twice")
        _TYPES[key] = CriterionType(key, label, description, params, evaluate)
        return evaluate

    return decorator


def criterion_types() -> list[CriterionType]:
    """Return every registered criterion type, by key."""
    return [_TYPES[key] for key in sorted(_TYPES)]


def criterion_type_get(key: str) -> CriterionType | None:
    """Return the criterion type `key`, or None if no installed app registers it."""
    return _TYPES.get(key)


def params_validate(type_key: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Return `params` checked and completed by the type's model, or a ValidationError."""
    ctype = criterion_type_get(type_key)
    if ctype is None:
        known = ", ".join(sorted(_TYPES)) or "none"
        raise ValidationError({"type": f"{type_key!r} is not a criterion type; known: {known}."})
    try:
        model = ctype.params_model.model_validate(params or {})
    except PydanticValidationError as exc:
        messages = [
            f"{'.'.join(str(p) for p in err['loc']) or 'params'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ValidationError({"params": messages}) from None
    return model.model_dump(mode="json")
