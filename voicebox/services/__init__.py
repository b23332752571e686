"""Services: the decisions. They own the transaction and return plain data or rows."""
