"""Pydantic schemas: validate API and CLI input, and generate the OpenAPI document."""
