"""The runtime's entry: :class:`~.hdf5io.HDF5IO` (open, read, write), the model
provider that finds or compiles a file's models, ``/specifications`` written back,
and the text tree of a read (``nwbgen show``)."""
