def tiny_network_grads(x, w1, b1, w3, b3, target):
    y1 = w1 * x + b1
    y2 = max(y1, 0.0)
    y3 = w3 * y2 + b3
    loss = (y3 - target) ** 2
    dl_dy3 = 2 * (y3 - target)
    dl_dy1 = dl_dy3 * w3
    grads = {"w1": dl_dy1 * x, "b1": dl_dy1, "w3": dl_dy3 * y2, "b3": dl_dy3, "x": dl_dy1 * w1}
    return float(loss), {name: float(value) for name, value in grads.items()}
