class BinaryClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(input_size, hidden_size), nn.Linear(hidden_size, output_size)])

    def forward(self, x):
        return self.layers[1](self.layers[0](x).clamp(min=0))


def bce_loss(p, y):
    log_p = torch.where(p > 0, torch.log(p), torch.full_like(p, -100.0)).clamp(min=-100)
    log_not_p = torch.where(p < 1, torch.log(1 - p), torch.full_like(p, -100.0)).clamp(min=-100)
    return torch.mean(-(y * log_p + (1 - y) * log_not_p))


def bce_with_logits(z, y):
    return torch.mean(torch.maximum(z, torch.zeros_like(z)) - z * y + torch.log(1 + torch.exp(-torch.abs(z))))
