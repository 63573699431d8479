class DeepRegression(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.layers = [
            nn.Linear(input_size, hidden_size_1),
            nn.Linear(hidden_size_1, hidden_size_2),
            nn.Linear(hidden_size_2, output_size),
        ]

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.sigmoid(layer(x))
        return self.layers[-1](x)
