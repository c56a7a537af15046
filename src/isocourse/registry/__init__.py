"""A registry at scale: write a synthetic registry in bulk, re-assess everyone daily.

``synth_writer`` bulk-inserts fictional patients and their events; ``streaming``
reads patients back in bounded batches (keyset pagination, one events query per
batch); ``reassess`` folds and evaluates them over worker processes and keeps
each patient's latest assessment (``latest``) for the work-list.
"""
