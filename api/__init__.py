"""The Python API: ``Lineage`` (one object per connection, one method per question) and ``connect``.

The CLI calls these methods and only formats their results.
"""
