class MultiLayerNet(torch.nn.Module):
    def __init__(self, input_size, layer_sizes, output_size):
        super(MultiLayerNet, self).__init__()  # noqa: UP008 (the lecture's spelling)

        layer_sizes = [input_size] + list(layer_sizes)  # noqa: RUF005 (list() also takes a tuple)
        self.linear_layers = torch.nn.ModuleList(
            [torch.nn.Linear(layer_sizes[i], layer_sizes[i + 1]) for i in range(len(layer_sizes) - 1)]
        )
        self.activations = torch.nn.ModuleList([torch.nn.ReLU() for _ in self.linear_layers])

        self.final_linear = torch.nn.Linear(layer_sizes[-1], output_size)

    def forward(self, x):
        out = x
        for linear_layer, activation in zip(self.linear_layers, self.activations, strict=True):
            out = linear_layer(out)
            out = activation(out)
        out = self.final_linear(out)

        return out
