"""isocourse: isotretinoin treatment courses, run safely.

The program supports a clinician's decision; it does not replace it.
"""

__version__ = "0.1.0"
