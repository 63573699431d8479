class MultiLayerNet(nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super().__init__()
        sizes = [input_size, *layer_sizes]
        self.linear_layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        self.final_linear = nn.Linear(sizes[-1], output_size)
        self.softmax = nn.Softmax(-1)

    def forward(self, x):
        out = x
        for linear_layer in self.linear_layers:
            out = torch.relu(linear_layer(out))
        return self.softmax(self.final_linear(out))
