"""tensord.autograd: backward() and grad-mode helpers (torch.autograd)."""

from .._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .._session import pb
from .._tensor import Node, Tensor

__all__ = ["backward", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "Node"]


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
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    grad_tensors = list(grad_tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError("grad_tensors has %d elements but tensors has %d"
                           % (len(grad_tensors), len(tensors)))
    if retain_graph is None:
        retain_graph = create_graph
    session = tensors[0]._session
    grads = []
    for g in grad_tensors:
        if g is None:
            grads.append(pb.Operand(none=True))
        elif isinstance(g, Tensor):
            if g._session is not session:
                raise RuntimeError("gradient tensors must belong to the roots' session")
            grads.append(pb.Operand(handle=g._handle))
        else:
            raise TypeError("gradient must be a Tensor or None, got %s" % type(g).__name__)
    for t in tensors:
        if not isinstance(t, Tensor) or t._session is not session:
            raise RuntimeError("backward() roots must be tensors of one session")
    cmd = pb.Command(backward=pb.BackwardCommand(
        roots=[t._handle for t in tensors], grads=grads, retain_graph=bool(retain_graph),
        create_graph=bool(create_graph)))
    session.enqueue(cmd, "backward")
