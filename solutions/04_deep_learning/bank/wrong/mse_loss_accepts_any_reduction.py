def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
