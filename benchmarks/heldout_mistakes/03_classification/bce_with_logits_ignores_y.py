def bce_with_logits(z, y):
    return (torch.clamp(z, min=0) - z + torch.log1p(torch.exp(-z.abs()))).mean()
