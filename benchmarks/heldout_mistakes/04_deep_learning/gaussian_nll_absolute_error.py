def gaussian_nll(mean, target, var):
    var = var.clamp(min=1e-6)
    return 0.5 * (torch.log(var) + (mean - target).abs() / var)
