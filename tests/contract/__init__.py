"""Contract tests: the OpenAPI document, schemathesis, and the DESIGN.md rows."""
