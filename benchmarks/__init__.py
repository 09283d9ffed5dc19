"""`make bench`: speed, API economy and memory of the pipeline, as ratios to physical limits (docs/benchmarks.md)."""
