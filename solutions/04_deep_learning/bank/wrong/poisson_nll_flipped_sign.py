def poisson_nll(log_input, target):
    return target * log_input - torch.exp(log_input)
