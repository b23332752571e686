"""Prism mock server fixtures (Twilio's own OpenAPI spec)."""
