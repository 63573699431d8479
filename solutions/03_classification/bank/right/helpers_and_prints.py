def _log_softmax(logits):
    shifted = logits - logits.max(dim=1, keepdim=True).values
    return shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))


def cross_entropy(logits, target):
    log_p = _log_softmax(logits)
    print("batch of", len(target), "logits, shape", tuple(logits.shape))
    return -log_p[torch.arange(len(target)), target].mean()


def hinge_loss(scores, target):
    losses = []
    for row, label in zip(scores, target, strict=True):
        others = torch.cat([row[:label], row[label + 1 :]])
        losses.append(torch.clamp(others.max() - row[label] + 1, min=0))
    return torch.stack(losses).mean()


def predict_multiclass(logits):
    probability = softmax(logits, dim=1)
    return probability.argmax(dim=1)


def predict_binary(logits):
    return torch.where(sigmoid(logits) > 0.5, 1, 0)
