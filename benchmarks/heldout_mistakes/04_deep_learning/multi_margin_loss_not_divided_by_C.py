def multi_margin_loss(input, target, p=1, margin=1.0, reduction="mean"):
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, not {p!r}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction must be one of 'none', 'mean' or 'sum', not {reduction!r}")
    correct = input.gather(1, target.unsqueeze(1))
    margins = (margin - correct + input).clamp(min=0) ** p
    others = torch.ones_like(input, dtype=torch.bool).scatter(1, target.unsqueeze(1), False)
    losses = (margins * others).sum(1)
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
