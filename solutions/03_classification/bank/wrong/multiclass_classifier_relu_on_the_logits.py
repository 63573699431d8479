class MulticlassClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.Linear1 = nn.Linear(input_size, hidden_size)
        self.activation1 = nn.ReLU()
        self.Linear2 = nn.Linear(hidden_size, output_size)
        self.activation2 = nn.ReLU()

    def forward(self, x):
        out = self.activation1(self.Linear1(x))
        return self.activation2(self.Linear2(out))
