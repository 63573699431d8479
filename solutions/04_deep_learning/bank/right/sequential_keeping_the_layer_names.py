class FFN(nn.Module):
    def __init__(self, in_features, out_features, hidden_size):
        super(FFN, self).__init__()  # noqa: UP008 (the lecture's spelling)
        self.layer1 = nn.Linear(in_features, hidden_size)
        self.layer2 = nn.Linear(hidden_size, hidden_size)
        self.layer3 = nn.Linear(hidden_size, out_features)
        self.net = nn.Sequential(self.layer1, nn.ReLU(), self.layer2, nn.ReLU(), self.layer3)

    def forward(self, x):
        return self.net(x)


def train_ffn(X, y, hidden_size=4, epochs=400, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    net = FFN(X.shape[1], 1, hidden_size)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        net.zero_grad(set_to_none=True)
        loss = F.mse_loss(net(X)[:, 0], y)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    return net, losses
