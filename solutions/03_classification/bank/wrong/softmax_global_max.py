def softmax(x, dim=-1):
    exps = torch.exp(x - x.max())
    return exps / exps.sum(dim=dim, keepdim=True)
