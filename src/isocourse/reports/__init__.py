"""The course summary report: charts (PNG) and the PDF a clinician files."""
