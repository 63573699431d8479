def hinge_loss(scores, target):
    correct = scores[torch.arange(len(target)), target]
    return torch.clamp(scores.max(dim=1).values - correct + 1, min=0).mean()
