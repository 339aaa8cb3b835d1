"""tensord.autograd: backward() and grad-mode helpers (torch.autograd)."""

from .._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .._tensor import Node, Tensor

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "Node"]


def _root_grads(session, grad_tensors, n):
    if grad_tensors is None:
        grad_tensors = [None] * n
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != n:
        raise RuntimeError("grad_tensors has %d elements but tensors has %d" % (len(grad_tensors), n))
    grads = []
    for g in grad_tensors:
        if g is None:
            grads.append(None)
        elif isinstance(g, Tensor):
            if g._session is not session:
                raise RuntimeError("gradient tensors must belong to the roots' session")
            grads.append(g._handle)
        else:
            raise TypeError("gradient must be a Tensor or None, got %s" % type(g).__name__)
    return grads


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """torch.autograd.grad: the gradients of ``outputs`` w.r.t. ``inputs``.

    Nothing accumulates into any ``.grad``. With ``create_graph`` the results
    are differentiable (double backward). Unused inputs raise unless
    ``allow_unused``, which gives None for them. A sync point: the server is
    asked which results are None.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if not outputs or not inputs:
        raise RuntimeError("grad() needs at least one output and one input")
    session = outputs[0]._session
    for t in outputs + inputs:
        if not isinstance(t, Tensor) or t._session is not session:
            raise RuntimeError("grad() tensors must be tensors of one session")
    if retain_graph is None:
        retain_graph = create_graph
    handles = session.grad([t._handle for t in outputs], [t._handle for t in inputs],
                           _root_grads(session, grad_outputs, len(outputs)), retain_graph,
                           create_graph, allow_unused)
    return tuple(None if h is None else Tensor._wrap(session, h) for h in handles)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulates d(tensors)/d(leaf) into the leaves' ``.grad``, on the server.

    ``grad_tensors[i]`` is the gradient of ``tensors[i]`` (None: implicit 1.0,
    only for one-element roots). ``retain_graph`` defaults to ``create_graph``.
    Pipelined like any command: an error (e.g. backward through a freed graph,
    FAILED_PRECONDITION) is raised at the next sync point, naming this call.
    """
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...) is not supported by tensord yet")
    if grad_variables is not None:
        grad_tensors = grad_variables
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("backward() needs at least one tensor")
    if retain_graph is None:
        retain_graph = create_graph
    session = tensors[0]._session
    grads = _root_grads(session, grad_tensors, len(tensors))
    for t in tensors:
        if not isinstance(t, Tensor) or t._session is not session:
            raise RuntimeError("backward() roots must be tensors of one session")
    session.backward([t._handle for t in tensors], grads, retain_graph, create_graph)
