class FFN(nn.Module):
    def __init__(self, in_features, out_features, hidden_size):
        super().__init__()
        self.layer1 = nn.Linear(in_features, hidden_size)
        self.layer2 = nn.Linear(hidden_size, hidden_size)
        self.layer3 = nn.Linear(hidden_size, out_features)

    def forward(self, x):
        y = self.layer1(x)
        y = nn.ReLU()(x)
        y = self.layer2(x)
        y = F.relu(x)
        y = self.layer3(x)
        return y
