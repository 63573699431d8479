class MultiLayerNet(nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super().__init__()
        layer_sizes = [input_size, *layer_sizes]
        self.linear_layers = [nn.Linear(layer_sizes[i], layer_sizes[i + 1]) for i in range(len(layer_sizes) - 1)]
        self.activations = [nn.ReLU() for _ in self.linear_layers]
        self.final_linear = nn.Linear(layer_sizes[-1], output_size)

    def forward(self, x):
        out = x
        for linear_layer, activation in zip(self.linear_layers, self.activations, strict=True):
            out = linear_layer(out)
            out = activation(out)
        return self.final_linear(out)
