def exponential_nll(rate, y):
    dist = torch.distributions.exponential.Exponential(1 / rate)
    return -dist.log_prob(y).sum()
