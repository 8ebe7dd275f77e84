"""The dashboard: Flask app, views, templates and the servers that run it."""
