"""The hflineage command line (Click): parse, call hflineage.loader, format."""

import os

# A load holds large arrays for one phase and frees them for the next. Arrow's default
# allocator (mimalloc) keeps freed memory for reuse, so a phase's transient peak stays resident
# through the next one; the C allocator, with the fixed mmap threshold the loader sets
# (loader.read.lean_memory), hands it back at once: a lower peak in the same time
# (BENCHMARKS.md section 5). Arrow reads this once, when it first allocates, so it is set here,
# before anything in the command line loads Arrow; ARROW_DEFAULT_MEMORY_POOL set by the user wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
