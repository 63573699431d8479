def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]
    return params
