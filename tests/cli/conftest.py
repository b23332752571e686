"""CLI and settings tests: `runner` drives the app's Flask CLI; tests that start processes (wsgi, flask db
upgrade) give them a clean environment rather than the developer's."""
