class DeepRegression(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size_1)
        self.layer2 = nn.Linear(hidden_size_1, hidden_size_2)
        self.layer3 = nn.Linear(hidden_size_2, output_size)

    def forward(self, x):
        h = torch.sigmoid(self.layer1(x))
        h = torch.sigmoid(self.layer2(x))
        return self.layer3(h)
