def cross_entropy(logits, target):
    top = logits.amax(dim=1, keepdim=True)
    log_sum_exp = top.squeeze(1) + torch.log(torch.exp(logits - top).sum(dim=1))
    return (log_sum_exp - logits[:, target]).mean()
