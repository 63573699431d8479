def mse_loss(input, target, reduction="mean"):
    squared = torch.square(input.double() - target.double())
    if reduction == "none":
        result = squared
    elif reduction == "mean":
        result = torch.mean(squared)
    elif reduction == "sum":
        result = torch.sum(squared)
    else:
        raise ValueError(f"unknown reduction {reduction!r}: use 'none', 'mean' or 'sum'")
    return result.to(input.dtype)


def poisson_nll(log_input, target):
    log_rate = log_input.double()
    return (log_rate.exp() - target.double() * log_rate).to(log_input.dtype)


def gaussian_nll(mean, target, var):
    var = torch.maximum(var.double(), torch.tensor(1e-6, dtype=torch.float64))
    squared = (mean.double() - target.double()) ** 2
    return (0.5 * torch.log(var) + 0.5 * squared / var).to(mean.dtype)


def exponential_nll(rate, y):
    rate, y = rate.double(), y.double()
    return (rate * y - torch.log(rate)).sum().float()


def weibull_nll(params, y):
    params, y = params.double(), y.double()
    scale = params[:, 0:1].clamp(min=1e-6)
    concentration = params[:, 1:2].clamp(min=1e-6)
    z = y / scale
    log_p = torch.log(concentration) - torch.log(scale) + (concentration - 1) * torch.log(z) - z**concentration
    return (-log_p.sum()).float()
