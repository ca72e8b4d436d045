"""The HDF5 toolkit: works on any HDF5 file, with no models — the dependency graph,
references between objects, and truncating a big file into a small test file."""
