def gaussian_nll(mean, target, var):
    return 0.5 * (torch.log(var) + (mean - target) ** 2 / var)
