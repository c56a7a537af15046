"""Server-rendered pages (Jinja2 + htmx) for prescribers, pharmacists and patients.

Thin: each page parses a form, calls the same service use cases as the JSON API,
and renders the answer. No JavaScript build step: htmx is vendored in ``static/``.
"""
