def l1_loss(input, target, reduction="mean"):
    losses = (input - target).abs()
    return {"none": losses, "mean": losses.mean(), "sum": losses.sum()}[reduction]
