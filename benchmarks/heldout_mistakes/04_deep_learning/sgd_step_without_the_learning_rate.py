def sgd_step(params, grads, lr):
    return {name: value - grads[name] for name, value in params.items()}
