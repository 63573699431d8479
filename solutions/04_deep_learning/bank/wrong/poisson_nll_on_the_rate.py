def poisson_nll(log_input, target):
    return log_input - target * torch.log(log_input)
