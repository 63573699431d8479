def gaussian_nll(mean, target, var):
    var = var.clamp(min=1e-6)
    return torch.log(var) + (mean - target) ** 2 / var
