"""HDF5 input/output, in two parts: :mod:`.entry` (``HDF5IO``, the model provider,
``/specifications``) and :mod:`.toolkit` (graph, references, truncate). Their public
names are in :mod:`nwbgen.io.hdf5`."""
