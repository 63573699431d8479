def gaussian_nll(mean, target, var):
    std = var.clamp(min=1e-6)
    return torch.log(std) + 0.5 * (mean - target) ** 2 / std**2
