"""Real SMTP server fixtures (aiosmtpd on a free port)."""
