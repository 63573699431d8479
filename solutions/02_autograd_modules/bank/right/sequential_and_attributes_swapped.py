class NonlinearRegression(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(input_size, hidden_size),  # input -> hidden layer
            nn.Sigmoid(),  # sigmoid activation function in hidden layer
            nn.Linear(hidden_size, output_size),  # hidden -> output layer
        )

    def forward(self, x):
        x = self.main(x)
        return x


class DeepRegression(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.hidden_1 = nn.Linear(input_size, hidden_size_1)
        self.hidden_2 = nn.Linear(hidden_size_1, hidden_size_2)
        self.output = nn.Linear(hidden_size_2, output_size)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.sigmoid(self.hidden_1(x))
        x = self.sigmoid(self.hidden_2(x))
        return self.output(x)
