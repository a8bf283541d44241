"""Server-rendered hosted-UI pages (Jinja2): sign-in, sign-out and the error page."""
