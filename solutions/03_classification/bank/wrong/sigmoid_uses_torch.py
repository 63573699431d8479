def sigmoid(x):
    return torch.special.expit(x)
