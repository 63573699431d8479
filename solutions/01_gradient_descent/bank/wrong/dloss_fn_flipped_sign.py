def dloss_fn(y_hat, y):
    return 2 * (y - y_hat)
