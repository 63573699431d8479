def bce_with_logits(z, y):
    return bce_loss(sigmoid(z), y)
