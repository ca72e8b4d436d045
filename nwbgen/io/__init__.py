"""HDF5 input/output: the runtime ``HDF5IO`` and the HDF5 toolkit."""
