"""The HDF5 primitive layer under everything that touches a file: the generated
readers and writers (through :mod:`nwbgen.runtime.read` / ``write``), ``HDF5IO``
and the HDF5 toolkit.

- :mod:`.files` — open a source (a path, or an open h5py file) or say why not;
- :mod:`.objects` — identity (file number, address), canonical paths, dereferencing;
- :mod:`.links` — hard, soft and external links as stored;
- :mod:`.attributes` — attributes in one low-level pass, type attributes;
- :mod:`.references` — reference sites, raw addresses, regions, a resolver;
- :mod:`.values` — decoding what h5py returns into what a model holds;
- :mod:`.lazy` — :class:`~.lazy.LazyArray`, datasets read on demand;
- :mod:`.encode`, :mod:`.write` — the inverse: values for a schema dtype, and
  attributes, datasets, links and files written safely.

Imports only the standard library, numpy and h5py.
"""
