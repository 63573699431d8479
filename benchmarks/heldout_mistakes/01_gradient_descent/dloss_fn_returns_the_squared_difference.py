def dloss_fn(y_hat, y):
    return (y_hat - y) ** 2
