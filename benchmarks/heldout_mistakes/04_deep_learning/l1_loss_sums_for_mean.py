def l1_loss(input, target, reduction="mean"):
    losses = (input - target).abs()
    if reduction == "none":
        return losses
    if reduction in ("mean", "sum"):
        return losses.sum()
    raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
