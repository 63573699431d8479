def dmodel_dw(x, w, b):
    return w * torch.ones_like(x)
