def bce_loss(p, y):
    log_p = torch.clamp(torch.log(p), min=-100)
    log_not_p = torch.clamp(torch.log(1 - p), min=-100)
    return (y * log_p + (1 - y) * log_not_p).mean()
