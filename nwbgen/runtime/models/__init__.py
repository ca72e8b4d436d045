"""What generated models are built from: base classes, array annotations, and the
table behaviour of hdmf's table types. Imports only pydantic, numpy and the
standard library."""
