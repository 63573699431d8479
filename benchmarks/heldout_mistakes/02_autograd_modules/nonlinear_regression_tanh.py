class NonlinearRegression(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.act = nn.Tanh()
        self.output = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))
