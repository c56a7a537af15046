"""Clinical knowledge as data.

The ``*.toml`` files beside this module hold every clinical number the rules use,
each entry with its ``source``. The types that describe them live in the modules of
this package (one per file, pure standard library); :mod:`.loader` is the door that
reads and validates the files once, at start-up, and hands the rules a frozen
:class:`~isocourse.knowledge.model.Knowledge`.
"""
