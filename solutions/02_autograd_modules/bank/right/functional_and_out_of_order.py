import torch.nn.functional as F


class LinearRegression(nn.Module):
    def __init__(self, input_size, output_size):
        super(LinearRegression, self).__init__()  # noqa: UP008 - the lecture's spelling
        self.input_size, self.output_size = input_size, output_size
        self.linear = nn.Linear(in_features=input_size, out_features=output_size, bias=True)

    def forward(self, x):
        out = self.linear(x)
        return out


class NonlinearRegression(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        # the output layer is defined first: parameters() yields it first, forward still calls it last
        self.output = nn.Linear(hidden_size, output_size)
        self.hidden = nn.Linear(input_size, hidden_size)

    def forward(self, x):
        return self.output(F.sigmoid(self.hidden(x)))


class DeepRegression(nn.Module):
    def __init__(self, input_size, hidden_size_1, hidden_size_2, output_size):
        super().__init__()
        self.layer3 = nn.Linear(hidden_size_2, output_size)
        self.layer2 = nn.Linear(hidden_size_1, hidden_size_2)
        self.layer1 = nn.Linear(input_size, hidden_size_1)

    def forward(self, x):
        h1 = torch.sigmoid(self.layer1(x))
        h2 = 1 / (1 + torch.exp(-self.layer2(h1)))
        return self.layer3(h2)
