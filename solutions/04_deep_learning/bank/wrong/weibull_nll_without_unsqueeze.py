def weibull_nll(params, y):
    scale = torch.clamp(params[:, 0], min=1e-6)
    concentration = torch.clamp(params[:, 1], min=1e-6)
    dist = torch.distributions.weibull.Weibull(scale, concentration)
    return -dist.log_prob(y).sum()
