class MulticlassClassifier(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.Linear1 = nn.Linear(input_size, hidden_size)
        self.activation1 = nn.ReLU()
        self.Linear2 = nn.Linear(hidden_size, output_size)
        self.softmax = nn.Softmax(-1)

    def forward(self, x):
        out = self.activation1(self.Linear1(x))
        return self.softmax(self.Linear2(out))
