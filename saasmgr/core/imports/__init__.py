"""The import framework: every file import of every app plugs into it.

An app declares an ``Importer`` per (kind, format) in its ``importers.py`` and registers
it (``registry.register_importer``) from ``AppConfig.ready``. The framework reads the file
(``reading``), matches its headers (``columns``), parses and checks every row and writes
the valid ones atomically (``engine``); ``services`` run it as a job for the web pages
and the Celery worker, and ``import_data`` runs it from the command line.
"""
