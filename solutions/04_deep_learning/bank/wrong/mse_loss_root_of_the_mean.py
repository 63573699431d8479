def mse_loss(input, target, reduction="mean"):
    losses = (input - target) ** 2
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean().sqrt()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
