"""tensord.return_types (torch.return_types): named tuples returned by max/min(dim)."""

__all__ = ["max", "min"]


class _StructSeq(tuple):
    """A tuple with named fields that prints like torch.return_types.* ."""

    __slots__ = ()
    n_fields = 2
    _fields = ("values", "indices")

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._fields):
            raise TypeError("torch.return_types.%s takes a %d-sequence (%d-sequence given)"
                            % (cls.__name__, len(cls._fields), len(seq)))
        return tuple.__new__(cls, seq)

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        fields = ",\n".join("%s=%r" % (f, v) for f, v in zip(self._fields, self))
        return "torch.return_types.%s(\n%s)" % (type(self).__name__, fields)

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


class max(_StructSeq):  # noqa: A001 - torch's name
    __slots__ = ()


class min(_StructSeq):  # noqa: A001 - torch's name
    __slots__ = ()


max.__module__ = min.__module__ = "tensord.return_types"
