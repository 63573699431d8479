def exponential_nll(rate, y):
    dist = torch.distributions.exponential.Exponential(rate)
    return dist.log_prob(y).sum()
