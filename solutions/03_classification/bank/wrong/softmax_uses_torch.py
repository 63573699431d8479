def softmax(x, dim=-1):
    return torch.softmax(x, dim=dim)
