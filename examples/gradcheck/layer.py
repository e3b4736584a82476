"""A dense layer's loss and its hand-written gradients, for the README's gradcheck examples.

``loss(W, b)`` is the squared activations of ``tanh(X @ W + b)`` over a fixed batch ``X``; ``grad`` is
right, ``grad_transposed`` returns the weight gradient transposed, ``grad_bias_rows`` sums the bias
gradient over the wrong axis.  numpy only; generic in the dtype (float32 in, float32 arithmetic).
"""

import numpy as np

X = np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.75], [-0.5, 2.0, 1.0]])


def _forward(W, b):
    data = X.astype(W.dtype)
    return data, np.tanh(data @ W + b)


def loss(W, b):
    _, Z = _forward(W, b)
    return np.sum(Z ** 2) / 2


def grad(W, b):
    data, Z = _forward(W, b)
    dA = Z * (1 - Z ** 2)
    return data.T @ dA, dA.sum(axis=0)


def grad_transposed(W, b):
    dW, db = grad(W, b)
    return dW.T, db


def grad_bias_rows(W, b):
    data, Z = _forward(W, b)
    dA = Z * (1 - Z ** 2)
    return data.T @ dA, dA.sum(axis=1)


def loss_and_grad(W, b):
    return loss(W, b), grad(W, b)


def relu_loss(x):
    """A leaky relu's squared output, for an array x of any shape."""
    a = np.where(x > 0, x, 0.1 * x)
    return np.sum(a ** 2)


def relu_grad_wrong_branch(x):
    a = np.where(x > 0, x, 0.1 * x)
    return 2 * a  # forgets the slope 0.1 below 0
