def weibull_nll(params, y):
    concentration = torch.clamp(params[:, 0].unsqueeze(1), min=1e-6)
    scale = torch.clamp(params[:, 1].unsqueeze(1), min=1e-6)
    dist = torch.distributions.weibull.Weibull(scale, concentration)
    return -dist.log_prob(y).sum()
