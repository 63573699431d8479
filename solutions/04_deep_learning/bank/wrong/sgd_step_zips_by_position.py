def sgd_step(params, grads, lr):
    return {name: value - lr * grad for (name, value), grad in zip(params.items(), grads.values(), strict=False)}
