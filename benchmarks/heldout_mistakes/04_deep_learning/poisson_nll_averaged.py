def poisson_nll(log_input, target):
    return (torch.exp(log_input) - target * log_input).mean()
