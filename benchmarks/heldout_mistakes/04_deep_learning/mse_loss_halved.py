def mse_loss(input, target, reduction="mean"):
    losses = 0.5 * (input - target) ** 2
    if reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
