def hinge_loss(scores, target):
    correct = scores.gather(1, target.unsqueeze(1)).squeeze(1)
    others = scores.scatter(1, target.unsqueeze(1), float("-inf"))
    return (others.max(dim=1).values - correct + 1).mean()
