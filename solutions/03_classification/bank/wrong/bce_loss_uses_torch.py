def bce_loss(p, y):
    return nn.BCELoss()(p, y)
