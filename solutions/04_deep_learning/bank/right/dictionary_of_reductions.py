def mse_loss(input, target, reduction="mean"):
    reduce = {"none": lambda losses: losses, "mean": torch.mean, "sum": torch.sum}
    if reduction not in reduce:
        raise ValueError(f"reduction must be one of {list(reduce)}, got {reduction}")
    return reduce[reduction]((input - target) * (input - target))


def l1_loss(input, target, reduction="mean"):
    reduce = {"none": lambda losses: losses, "mean": torch.mean, "sum": torch.sum}
    if reduction not in reduce:
        raise ValueError(f"reduction must be one of {list(reduce)}, got {reduction}")
    difference = input - target
    return reduce[reduction](torch.where(difference < 0, -difference, difference))


def gaussian_nll(mean, target, var):
    var = torch.clamp(var, min=1e-6)
    return 0.5 * torch.log(var) + (mean - target) ** 2 / (2 * var)


def poisson_nll(log_input, target):
    rate = torch.exp(log_input)
    return rate - target * log_input
