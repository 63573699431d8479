def hinge_loss(scores, target):
    correct = scores.gather(1, target.unsqueeze(1))
    margins = torch.clamp(scores - correct + 1, min=0)
    margins = margins.scatter(1, target.unsqueeze(1), 0.0)
    return margins.sum(dim=1).mean()
