"""Array annotations: ``Annotated[Array[np.float32], ArraySpec(...)]``.

``Array[DT]`` is what a type checker sees: a numpy array of that scalar type, or
anything array-like that stands in for one (an HDF5-backed lazy array). ``ArraySpec``
is what pydantic sees: the schema's dtype and shape alternatives, checked when a
model is built from Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

import numpy as np
from pydantic_core import core_schema

DT_co = TypeVar("DT_co", bound=Any, covariant=True)


class Array(Protocol[DT_co]):
    """An array of scalar type ``DT_co``: a numpy array, or anything that behaves like
    one (an h5py dataset, a lazy HDF5-backed array). A protocol rather than a union
    so that type checkers and IDEs see one class with ``shape``, ``dtype`` and
    indexing; the scalar type documents the schema's dtype (``ArraySpec`` checks it).
    """

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtype(self) -> np.dtype: ...

    def __getitem__(self, key: Any) -> Any: ...

    def __len__(self) -> int: ...

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray: ...


#: schema dtype -> numpy dtype used when building an array from Python values
NUMPY_DTYPES: dict[str, Any] = {
    "float32": np.float32,
    "float64": np.float64,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "bool": np.bool_,
}

ShapeAlternatives = tuple[tuple[int | None, ...], ...]


class ArraySpec:
    """The schema's facts about one array: dtype, shape alternatives, dimension names."""

    __slots__ = ("dims", "dtype", "shape")

    def __init__(
        self,
        dtype: Any = None,
        shape: ShapeAlternatives | None = None,
        dims: tuple[tuple[str, ...], ...] | None = None,
    ) -> None:
        self.dtype = dtype
        self.shape = shape
        self.dims = dims

    def __repr__(self) -> str:
        return (
            f"ArraySpec(dtype={self.dtype!r}, shape={self.shape!r}, dims={self.dims!r})"
        )

    def __get_pydantic_core_schema__(
        self, source: Any, handler: Any
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def validate(self, value: Any) -> Any:
        if value is None:  # optional members (Annotated[Array[...] | None, ...])
            return None
        if hasattr(value, "data") and hasattr(value, "options"):
            # data with storage options (``DataIO``): check the data, keep the wrapper
            self.validate(value.data)
            return value
        if isinstance(value, Iterator):
            return value  # blocks for a writer, larger than memory: shape unknown
        if isinstance(value, (list, tuple)) or np.isscalar(value):
            value = self._from_python(value)
        elif not (hasattr(value, "shape") and hasattr(value, "dtype")):
            raise ValueError(f"expected an array, got {type(value).__name__}")
        if self.shape is not None:
            self.check_shape(tuple(value.shape))
        return value

    def _from_python(self, value: Any) -> np.ndarray:
        """Python values as an array of the schema's dtype when that holds them
        exactly (whole numbers in range); otherwise at least as wide (a list of
        floats stays float64 where the schema says float32, as pynwb stores it: the
        schema's dtype is a minimum). Text and others as numpy infers."""
        array = np.asarray(value)
        schema = NUMPY_DTYPES.get(self.dtype) if isinstance(self.dtype, str) else None
        if schema is None or array.dtype.kind not in "biuf":
            return array
        if array.size == 0 or (array.dtype.kind in "biu" and _fits(array, schema)):
            return array.astype(schema)  # whole numbers the schema's dtype holds
        return array.astype(np.promote_types(array.dtype, schema), copy=False)

    def check_shape(self, shape: tuple[int, ...]) -> None:
        assert self.shape is not None
        for alternative in self.shape:
            if len(alternative) == len(shape) and all(
                want is None or want == got for want, got in zip(alternative, shape)
            ):
                return
        allowed = " or ".join(
            str(tuple("*" if s is None else s for s in alt)) for alt in self.shape
        )
        raise ValueError(f"shape {shape} does not match {allowed}")


def _fits(array: np.ndarray, dtype: Any) -> bool:
    """Whole numbers all representable in ``dtype``."""
    target = np.dtype(dtype)
    if target.kind == "b":
        return array.dtype.kind == "b"
    if target.kind == "f":
        return bool(np.all(np.abs(array) < 2 ** (np.finfo(target).nmant + 1)))
    info = np.iinfo(target)
    return bool(array.min() >= info.min and array.max() <= info.max)
