"""Human-systems benchmark: do gradient boosted trees beat linear (mixed) models on hierarchical,
repeated, time-ordered and spatial data? See docs/TABULAR.md. Importing this package is cheap;
heavy libraries load inside the functions that need them."""
