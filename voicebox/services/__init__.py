"""Services: the decisions. They own the transaction and return plain data or rows."""


class Conflict(ValueError):
    """The change would break a uniqueness rule; `field` names the culprit."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
