def gaussian_nll(mean, target, var):
    var = var + 1e-6
    return 0.5 * (torch.log(var) + (mean - target) ** 2 / var)
