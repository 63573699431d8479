def cross_entropy(logits, target):
    probabilities = softmax(logits, dim=1)
    return -torch.log(probabilities[torch.arange(len(target)), target]).mean()
