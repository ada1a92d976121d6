"""CSV files in and out: the import framework every app registers its kinds with, reading cells, the preview and the
background run, and streamed exports."""
