def weibull_nll(params, y):
    scale = params[:, 0].unsqueeze(1)
    concentration = params[:, 1].unsqueeze(1)
    log_p = torch.log(concentration / scale) + (concentration - 1) * torch.log(y / scale) - (y / scale) ** concentration
    return -log_p.sum()
