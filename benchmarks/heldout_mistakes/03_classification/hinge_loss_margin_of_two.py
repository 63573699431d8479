def hinge_loss(scores, target):
    correct = scores.gather(1, target.unsqueeze(1))
    is_correct = torch.zeros_like(scores, dtype=torch.bool).scatter(1, target.unsqueeze(1), True)
    best_other = scores.masked_fill(is_correct, float("-inf")).amax(dim=1)
    return torch.clamp(best_other - correct.squeeze(1) + 2, min=0).mean()
