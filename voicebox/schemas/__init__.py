"""Pydantic schemas: validate API and CLI input, serialize rows, and generate the OpenAPI document.

`*In`/`*Patch`/`*Query` models validate what comes in; `*Out` models read rows (`from_attributes`), so a
view or a CLI command returns rows and `Out.model_validate(row).model_dump(mode="json")` shapes them.
Fields the answer renames or derives read the row's attribute through `validation_alias`, a
`field_validator`, or an excluded field feeding a `computed_field`.
"""
